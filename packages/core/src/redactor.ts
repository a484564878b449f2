/**
 * The Redactor port: replaces known secret values (API tokens, provider keys, peer tokens)
 * in text before it is stored or shown. The composition root builds one `SecretRedactor`
 * at boot from the secrets it holds and passes it to every place that stores text an agent
 * or a model produced (the tools gate, the audit trail, memory, conversation buffers, the
 * state store, the logger).
 *
 * A redactor matches literal values only: a secret that was transformed (base64, split over
 * several strings, one character per line) is not recognised. It is the last line of
 * defence, not the boundary; the boundary is that agents cannot read the secrets at all.
 */

/** One secret value and the label its replacement names (`[redacted:<label>]`). */
export interface Secret {
  label: string;
  value: string;
}

export interface Redactor {
  /** `text` with every known secret replaced by `[redacted:<label>]`; `text` itself when none occurs. */
  redact(text: string): string;
  /**
   * `value` with every string in it (object keys too) redacted, walking plain objects and
   * arrays; other objects are kept as they are. Returns `value` itself when nothing changed,
   * else a copy of the changed path (the input is never modified).
   */
  redactValue<T>(value: T): T;
}

/** The redactor that changes nothing. */
export const noRedaction: Redactor = Object.freeze({
  redact: (text: string) => text,
  redactValue: <T>(value: T): T => value,
});

/** Secrets shorter than this are ignored so that short values (`1`, `true`, `dev`) do not shred text. */
export const MIN_SECRET_LENGTH = 8;

const LABEL = /^[A-Za-z0-9_.:-]{1,64}$/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export interface SecretRedactorOptions {
  /** Values shorter than this are ignored. Default `MIN_SECRET_LENGTH` (8). */
  minLength?: number;
}

/**
 * Redacts a fixed set of secrets. Longer secrets are matched first, so a secret that contains
 * another is replaced whole; a value listed twice keeps its first label.
 */
export class SecretRedactor implements Redactor {
  readonly #pattern: RegExp | undefined;
  readonly #labels = new Map<string, string>();

  constructor(secrets: Iterable<Secret>, options: SecretRedactorOptions = {}) {
    const minLength = options.minLength ?? MIN_SECRET_LENGTH;
    for (const { label, value } of secrets) {
      if (typeof value !== "string" || value.length < minLength || this.#labels.has(value)) continue;
      this.#labels.set(value, LABEL.test(label) ? label : "secret");
    }
    const values = [...this.#labels.keys()].sort((a, b) => b.length - a.length);
    this.#pattern = values.length === 0 ? undefined : new RegExp(values.map(escapeRegExp).join("|"), "g");
  }

  /** How many distinct secrets are redacted. */
  get size(): number {
    return this.#labels.size;
  }

  redact(text: string): string {
    const pattern = this.#pattern;
    if (pattern === undefined || typeof text !== "string") return text;
    pattern.lastIndex = 0;
    if (!pattern.test(text)) return text;
    pattern.lastIndex = 0;
    return text.replace(pattern, (found) => `[redacted:${this.#labels.get(found) ?? "secret"}]`);
  }

  redactValue<T>(value: T): T {
    if (this.#pattern === undefined) return value;
    return this.#walk(value, 0) as T;
  }

  #walk(value: unknown, depth: number): unknown {
    if (typeof value === "string") return this.redact(value);
    if (typeof value !== "object" || value === null || depth > 256) return value;
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let index = 0; index < value.length; index++) {
        const item = value[index];
        const redacted = this.#walk(item, depth + 1);
        if (redacted !== item) {
          copy ??= value.slice();
          copy[index] = redacted;
        }
      }
      return copy ?? value;
    }
    if (!isPlainObject(value)) return value;
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      const item = value[key];
      const redactedKey = this.redact(key);
      const redacted = this.#walk(item, depth + 1);
      if (redacted === item && redactedKey === key) continue;
      copy ??= { ...value };
      if (redactedKey !== key) delete copy[key];
      copy[redactedKey] = redacted;
    }
    return copy ?? value;
  }
}

const SECRET_NAME_PART = /^[A-Z0-9]*(KEY|TOKEN|SECRET|PASSWORD)S?$/;

/**
 * Whether an environment variable (or header, or table key) name names a secret: one of its
 * parts (split at `_`, `-`, `.`), upper-cased, is or ends with KEY, TOKEN, SECRET or PASSWORD
 * (`OPENAI_API_KEY`, `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `APIKEY`, `A2A_TOKENS`), but
 * not `KEYWORDS` or `TOKENIZER`.
 */
export function isSecretName(name: string): boolean {
  return name
    .toUpperCase()
    .split(/[_.-]+/)
    .some((part) => SECRET_NAME_PART.test(part));
}

/** The values of the variables of `environment` whose names name a secret (see `isSecretName`). */
export function secretsFromEnvironment(environment: Readonly<Record<string, string | undefined>>): Secret[] {
  const secrets: Secret[] = [];
  for (const [name, value] of Object.entries(environment)) {
    if (value !== undefined && value !== "" && isSecretName(name)) secrets.push({ label: `env:${name}`, value });
  }
  return secrets;
}
