/** The path of the `bun` or `deno` binary, installing both pinned versions when either is missing. */
export function runtimeBinary(name: "bun" | "deno"): string;
