/**
 * Textual path normalisation for space paths and detection. POSIX-style paths only; nothing
 * here touches the filesystem: `.` and `..` are resolved on the text, duplicate and trailing
 * slashes dropped, `~` expanded only when a home directory is given. Symlinks are therefore
 * not followed, and `~user` forms are not supported.
 */

export interface PathContext {
  /** Base for relative paths (`./x`, `../x`, `x/y`); without it relative paths do not resolve. */
  cwd?: string | undefined;
  /** Expands `~` and `~/…`; without it they stay home-relative (`~/…`). */
  home?: string | undefined;
}

function isHomeRelative(path: string): boolean {
  return path === "~" || path.startsWith("~/");
}

/** Resolves segments below a root (`/` or `~`); `undefined` when `..` climbs out of `~`. */
function resolveSegments(root: "/" | "~", rest: string): string | undefined {
  const out: string[] = [];
  for (const segment of rest.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length > 0) out.pop();
      // Above `/` is `/` again; above `~` is somewhere we cannot name without a home directory.
      else if (root === "~") return undefined;
      continue;
    }
    out.push(segment);
  }
  if (root === "~") return out.length === 0 ? "~" : `~/${out.join("/")}`;
  return `/${out.join("/")}`;
}

/**
 * Normalises `path` to `/…` or (without a home) `~/…`. Relative paths resolve against
 * `cwd`. Returns `undefined` for what cannot be resolved textually: a relative path with no
 * cwd, `~user/…`, `..` above `~` with no home, or an empty string.
 */
export function normalizePath(path: string, context: PathContext = {}): string | undefined {
  if (path === "") return undefined;
  if (isHomeRelative(path)) {
    if (context.home === undefined) return resolveSegments("~", path.slice(1));
    const home = normalizePath(context.home);
    if (home === undefined || !home.startsWith("/")) return undefined;
    return resolveSegments("/", `${home}/${path.slice(1)}`);
  }
  if (path.startsWith("~")) return undefined;
  if (path.startsWith("/")) return resolveSegments("/", path);
  if (context.cwd === undefined) return undefined;
  const base = normalizePath(context.cwd, { home: context.home });
  if (base === undefined) return undefined;
  return base.startsWith("~")
    ? resolveSegments("~", `${base.slice(1)}/${path}`)
    : resolveSegments("/", `${base}/${path}`);
}

/** A stored space path: absolute or `~`-relative, normalised, never expanded. */
export function normalizeSpacePath(path: string): string | undefined {
  if (!path.startsWith("/") && !isHomeRelative(path)) return undefined;
  return normalizePath(path);
}

/** True when `path` is `parent` or lies below it, on whole segments (`/a/b` is not inside `/a/bc`). */
export function isPathWithin(path: string, parent: string): boolean {
  if (path === parent) return true;
  if (parent === "/") return path.startsWith("/");
  return path.startsWith(`${parent}/`);
}
