/**
 * The catalogue of error codes: every package declares its codes once, in its
 * `src/error-codes.ts`, each with a kind and a one-line description, through
 * `defineErrorCodes`. `KernelError` looks its kind up here, the kernel's HTTP layer maps the
 * kind to a status, and `docs/errors.md` is generated from the declarations.
 *
 * The catalogue lives on `globalThis` under a `Symbol.for` key, like the KernelError marker,
 * so codes declared through one copy of this package are found by a KernelError built by
 * another copy.
 */

/**
 * What kind of failure a code names, that is, what a caller can do about it, each with its
 * meaning. Closed set; the kernel's HTTP layer gives each kind one status.
 */
export const ERROR_KINDS = {
  invalid: "the input or configuration breaks a rule; fix it and try again",
  malformed: "the input could not be parsed at all (a request body that is not JSON)",
  unauthenticated: "no valid credentials were presented",
  denied: "a policy refuses the action (access gate, path or network rules, a protected resource)",
  "not-found": "what the call names does not exist",
  conflict: "the current state refuses the call (a name taken, busy, already running, moved on)",
  aborted: "stopped on purpose before it finished: the caller aborted, an agent was killed, a task cancelled",
  "too-large": "over a size limit",
  "rate-limited": "over a rate or a budget",
  timeout: "did not finish in time",
  unavailable: "cannot serve now (closed, draining, shutting down, a dependency not loaded); try again later",
  upstream: "a remote service the kernel called (model provider, MCP server, remote agent) failed or refused",
  internal: "a bug or an unexpected failure (I/O, corruption); an undeclared code is this kind",
} as const;

export type ErrorKind = keyof typeof ERROR_KINDS;

/** One code as a package declares it. */
export interface ErrorCodeSpec {
  /** The stable code string, `<PACKAGE>_<THING>_<PROBLEM>` (`SCHEDULER_LIMIT_INVALID`). */
  readonly code: string;
  readonly kind: ErrorKind;
  /** One line: when the code is thrown, and what `details` carries. */
  readonly description: string;
}

/** A declared code with the package that declared it. */
export interface DeclaredErrorCode extends ErrorCodeSpec {
  /** The declaring package (`@oxios/scheduler`). */
  readonly owner: string;
}

/** The record `defineErrorCodes` returns: each key maps to its code string. */
export type ErrorCodes<Specs extends Record<string, ErrorCodeSpec>> = {
  readonly [Key in keyof Specs]: Specs[Key]["code"];
};

const catalogKey = Symbol.for("oxios.error-catalog.v1");

/** Every declaration, in declaration order, per code (more than one only when two packages clash). */
function catalog(): Map<string, DeclaredErrorCode[]> {
  const holder = globalThis as unknown as Record<symbol, Map<string, DeclaredErrorCode[]> | undefined>;
  let map = holder[catalogKey];
  if (map === undefined) {
    map = new Map();
    holder[catalogKey] = map;
  }
  return map;
}

/**
 * Declares `owner`'s error codes and returns a record from each key to its code string, to
 * throw with: `new KernelError(SchedulerErrorCode.limitInvalid, …)`.
 *
 * A second declaration of a code is kept beside the first (so a test can find the clash) but
 * lookups use the first; an identical one (a second copy of the same package) is ignored.
 */
export function defineErrorCodes<const Specs extends Record<string, ErrorCodeSpec>>(
  owner: string,
  specs: Specs,
): ErrorCodes<Specs> {
  const map = catalog();
  const codes: Record<string, string> = {};
  for (const [key, spec] of Object.entries(specs)) {
    codes[key] = spec.code;
    const declared: DeclaredErrorCode = { code: spec.code, kind: spec.kind, description: spec.description, owner };
    const existing = map.get(spec.code);
    if (existing === undefined) map.set(spec.code, [declared]);
    else if (!existing.some((other) => other.owner === owner && other.kind === spec.kind)) existing.push(declared);
  }
  return Object.freeze(codes) as ErrorCodes<Specs>;
}

/** The declaration of `code`, or undefined when no loaded package declares it. */
export function errorCodeInfo(code: string): DeclaredErrorCode | undefined {
  return catalog().get(code)?.[0];
}

/** The kind of `code`: its declared kind, `internal` when it is not declared. */
export function errorKindOf(code: string): ErrorKind {
  return errorCodeInfo(code)?.kind ?? "internal";
}

/** Every declaration of every package loaded so far, including clashing second declarations. */
export function declaredErrorCodes(): DeclaredErrorCode[] {
  return [...catalog().values()].flat();
}
