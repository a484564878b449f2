/**
 * The environment a child process of `exec` sees: only the allowed variables of the kernel's
 * own environment, and `TERM=dumb` so programs print no colour or cursor codes.
 */

/** The variables of `base` named in `allowlist`, and `TERM=dumb`. */
export function scrubbedEnv(
  base: Record<string, string | undefined>,
  allowlist: readonly string[],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of allowlist) {
    const value = base[name];
    if (value !== undefined) env[name] = value;
  }
  env.TERM = "dumb";
  return env;
}
