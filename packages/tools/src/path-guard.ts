/**
 * PathGuard: confines file access to allowed roots. A path is resolved against the agent's
 * workspace, then through every symlink (`realpath`; for a path that does not exist yet, the
 * deepest existing ancestor is resolved and the rest appended), and only then matched against
 * the allowed and denied globs — so `..`, absolute paths outside the roots and symlinks that
 * point out are all refused with `TOOL_PATH_DENIED`. Globs are matched with picomatch
 * (`dot: true`); a glob's literal base is itself resolved through symlinks, so a workspace
 * under a symlinked directory (such as macOS `/tmp`) still matches.
 */

import { lstat, readlink, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { KernelError } from "@oxios/core";
import picomatch from "picomatch";
import { ToolErrorCode } from "./error-codes.ts";
import { fsError } from "./errors.ts";

export type PathAccess = "read" | "write";

const globMagic = /[*?[\]{}()!+@\\]/g;

/** Escapes glob syntax in a literal path so it matches only itself. */
export function escapeGlob(path: string): string {
  return path.replace(globMagic, "\\$&");
}

/**
 * Resolves every symlink in `path`; for a missing tail, resolves the deepest existing ancestor.
 * A dangling symlink in the path is followed to its target (a write through it would land
 * there), so it cannot hide an escape.
 */
export async function realpathAllowMissing(path: string, depth = 0): Promise<string> {
  if (depth > 40) throw new KernelError(ToolErrorCode.pathDenied, `too many symlinks resolving ${path}`);
  const missing: string[] = [];
  let current = path;
  for (;;) {
    try {
      const real = await realpath(current);
      return missing.length === 0 ? real : join(real, ...missing.reverse());
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== "ENOENT") throw fsError(error, path);
      const link = await danglingLinkTarget(current, path);
      if (link !== undefined) {
        return realpathAllowMissing(join(resolve(dirname(current), link), ...missing.reverse()), depth + 1);
      }
      const parent = dirname(current);
      if (parent === current) throw fsError(error, path);
      missing.push(basename(current));
      current = parent;
    }
  }
}

async function danglingLinkTarget(candidate: string, path: string): Promise<string | undefined> {
  try {
    const stats = await lstat(candidate);
    return stats.isSymbolicLink() ? await readlink(candidate) : undefined;
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return undefined;
    throw fsError(error, path);
  }
}

/** Turns configured globs (absolute or workspace-relative) into globs over real paths. */
export async function realGlobs(globs: readonly string[], workspaceReal: string): Promise<string[]> {
  const result: string[] = [];
  for (const glob of globs) {
    const absolute = isAbsolute(glob) ? glob : join(workspaceReal, glob);
    const scan = picomatch.scan(absolute);
    const base = await realpathAllowMissing(scan.base === "" ? "/" : scan.base);
    result.push(scan.glob === "" ? escapeGlob(base) : `${escapeGlob(base)}/${scan.glob}`);
  }
  return result;
}

/** The default allowed globs: the workspace itself and everything below it. */
export function workspaceGlobs(workspaceReal: string): string[] {
  return [`${escapeGlob(workspaceReal)}/**`];
}

/**
 * The globs are compiled into matchers at the first path check, not when the guard is made:
 * most tool calls name no path (a guard is made for every run's tool session), and compiling
 * a picomatch matcher costs more than the rest of the session.
 */
export class PathGuard {
  readonly workspace: string;
  readonly #globs: { allow: string[]; deny: string[] };
  #matchers: { allow: picomatch.Matcher; deny: picomatch.Matcher | undefined } | undefined;

  /** `workspaceReal` and the globs must already be real (see `realGlobs`). */
  constructor(workspaceReal: string, allow: readonly string[], deny: readonly string[]) {
    this.workspace = workspaceReal;
    this.#globs = { allow: [...allow], deny: [...deny] };
  }

  /** Why a real path is refused, or undefined when it is allowed. */
  refusal(realPath: string): string | undefined {
    const matchers = this.#compiled();
    if (matchers.deny?.(realPath)) return `${realPath} matches a denied path glob`;
    if (!matchers.allow(realPath)) return `${realPath} is outside the allowed roots`;
    return undefined;
  }

  #compiled(): { allow: picomatch.Matcher; deny: picomatch.Matcher | undefined } {
    const { allow, deny } = this.#globs;
    this.#matchers ??= {
      allow: picomatch(allow, { dot: true }),
      deny: deny.length === 0 ? undefined : picomatch(deny, { dot: true }),
    };
    return this.#matchers;
  }

  /**
   * The real path `input` names, or `TOOL_PATH_DENIED`. Relative inputs resolve against the
   * workspace.
   */
  async resolve(input: string, access: PathAccess): Promise<string> {
    if (input.includes("\0")) {
      throw new KernelError(ToolErrorCode.pathDenied, "path contains a NUL byte", { details: { access } });
    }
    const absolute = resolve(this.workspace, input);
    const real = await realpathAllowMissing(absolute);
    const reason = this.refusal(real);
    if (reason !== undefined) {
      const escaped = real !== absolute ? ` (resolved from ${input} through a symlink)` : "";
      throw new KernelError(ToolErrorCode.pathDenied, `${access} denied: ${reason}${escaped}`, {
        details: { path: input, realPath: real, access },
      });
    }
    return real;
  }

  /** A path for output: relative to the workspace when inside it. */
  display(realPath: string): string {
    if (realPath === this.workspace) return ".";
    return realPath.startsWith(`${this.workspace}/`) ? realPath.slice(this.workspace.length + 1) : realPath;
  }
}
