/**
 * The Standard Schema interface (https://standardschema.dev), declared here so that any
 * conforming validator (zod, valibot, arktype…) can check state values without this
 * package depending on one at runtime.
 */

import { KernelError } from "@oxios/core";
import { StateStoreErrorCode } from "./error-codes.ts";

/** The Standard Schema v1 interface, as published by the spec. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": StandardSchemaV1.Props<Input, Output>;
}

export declare namespace StandardSchemaV1 {
  export interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  export interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  export interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  export interface PathSegment {
    readonly key: PropertyKey;
  }
  export interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  export type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema["~standard"]["types"]>["input"];
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema["~standard"]["types"]>["output"];
}

function issuePath(issue: StandardSchemaV1.Issue): string {
  if (issue.path === undefined || issue.path.length === 0) return "(root)";
  return issue.path
    .map((segment) => String(typeof segment === "object" && segment !== null ? segment.key : segment))
    .join(".");
}

/**
 * Runs `schema` on `value`; returns the validated output or throws `STATE_SCHEMA_INVALID`
 * naming `where` and listing the issues.
 */
export async function validateWithSchema<Output>(
  schema: StandardSchemaV1<unknown, Output>,
  value: unknown,
  where: string,
): Promise<Output> {
  let result = schema["~standard"].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues !== undefined) {
    const issues = result.issues.map((issue) => ({ path: issuePath(issue), message: issue.message }));
    const summary = issues
      .slice(0, 3)
      .map((issue) => `${issue.path}: ${issue.message}`)
      .join("; ");
    throw new KernelError(StateStoreErrorCode.schemaInvalid, `${where} does not match its schema: ${summary}`, {
      details: { where, issues },
    });
  }
  return result.value;
}
