/**
 * Canonical JSON: object keys sorted at every depth, `undefined` and functions dropped,
 * non-finite numbers as null, `toJSON` honoured. The audit chain hashes details in this form,
 * so the same details hash the same whatever order their keys were built in.
 */

import { KernelError } from "@oxios/core";
import { EventBusErrorCode } from "../error-codes.ts";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function canonicalValue(value: unknown, seen: Set<object>): JsonValue | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      // -0 is 0, as JSON writes it.
      return Number.isFinite(value) ? value + 0 : null;
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    case "bigint":
      throw new KernelError(EventBusErrorCode.auditInvalid, "audit details cannot hold a bigint");
  }
  if (value === null) return null;
  const object = value as object;
  const withJson = object as { toJSON?: unknown };
  if (typeof withJson.toJSON === "function") return canonicalValue((withJson.toJSON as () => unknown)(), seen);
  if (seen.has(object)) throw new KernelError(EventBusErrorCode.auditInvalid, "audit details cannot be circular");
  seen.add(object);
  let result: JsonValue;
  if (Array.isArray(object)) {
    result = object.map((item) => canonicalValue(item, seen) ?? null);
  } else {
    const sorted: { [key: string]: JsonValue } = {};
    for (const key of Object.keys(object).sort()) {
      const item = canonicalValue((object as Record<string, unknown>)[key], seen);
      if (item !== undefined) sorted[key] = item;
    }
    result = sorted;
  }
  seen.delete(object);
  return result;
}

/** JSON text with object keys sorted at every depth. `AUDIT_INVALID` for bigints and cycles. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalValue(value, new Set()) ?? null);
}

/** The text of each object `canonicalObject` made: a store writes it instead of encoding the object again. */
const canonicalTexts = new WeakMap<object, string>();

/**
 * An object in canonical form — what parsing its canonical JSON would give — and that JSON.
 * `AUDIT_INVALID` for bigints and cycles.
 */
export function canonicalObject(value: object): { value: { [key: string]: JsonValue }; text: string } {
  const canonical = (canonicalValue(value, new Set()) ?? {}) as { [key: string]: JsonValue };
  const text = JSON.stringify(canonical);
  canonicalTexts.set(canonical, text);
  return { value: canonical, text };
}

/** The canonical JSON of an object `canonicalObject` made, or undefined for any other. */
export function knownCanonicalText(value: object): string | undefined {
  return canonicalTexts.get(value);
}
