/**
 * Opening files and directories without a check-then-use race. The gate checks a path before
 * the tool runs, but a symlink can be swapped between that check and the `open`. So every
 * file tool opens first and then checks what it actually opened:
 *
 * - the opened descriptor's real path (Linux: `readlink /proc/self/fd/N`; elsewhere the
 *   path's `realpath`, accepted only when it names the same file — device and inode — as the
 *   descriptor) must be allowed by the agent's path globs, else `TOOL_PATH_DENIED`;
 * - files must be regular (a FIFO is opened non-blocking and refused, never waited on) with a
 *   single link: a hard link inside the workspace may point at a file outside it, and no path
 *   check can tell, so a file with more than one link is refused (`TOOL_PATH_DENIED`);
 * - writes never follow a symlink in the last component: the parent directory is opened and
 *   checked, every missing directory is created and opened *through that descriptor*
 *   (`/proc/self/fd/N/name`, `O_NOFOLLOW`), and the content goes to a new temporary file
 *   (`O_CREAT | O_EXCL`) in that directory that is then renamed over the name, so a symlink
 *   planted there is replaced, never written through.
 *
 * Without `/proc/self/fd` (macOS) the writes address the checked directory by its real path,
 * which narrows but does not close the window for a swap of a parent directory.
 */

import { constants, existsSync, type Stats } from "node:fs";
import { chown, type FileHandle, mkdir, open, readlink, realpath, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { KernelError } from "@oxios/core";
import { ToolErrorCode } from "../error-codes.ts";
import { fsError } from "../errors.ts";
import type { CallPaths } from "../tool.ts";

const hasProcFd = process.platform === "linux" && existsSync("/proc/self/fd");

export interface OpenedEntry {
  handle: FileHandle;
  /** The real path of what was opened. */
  realPath: string;
  stats: Stats;
}

/** A path that reaches `name` inside an opened directory without resolving the directory's path again. */
export function pathIn(directory: OpenedEntry, name: string): string {
  return hasProcFd ? `/proc/self/fd/${directory.handle.fd}/${name}` : join(directory.realPath, name);
}

function denied(message: string, details: Record<string, unknown>): KernelError {
  return new KernelError(ToolErrorCode.pathDenied, message, { details });
}

/** The real path of an opened descriptor; `path` is how it was opened. */
async function descriptorRealPath(handle: FileHandle, path: string, stats: Stats): Promise<string> {
  if (hasProcFd) {
    const real = await readlink(`/proc/self/fd/${handle.fd}`);
    if (real.endsWith(" (deleted)")) {
      throw new KernelError(ToolErrorCode.fileNotFound, `no such file or directory: ${path}`, { details: { path } });
    }
    return real;
  }
  const real = await realpath(path);
  const named = await stat(real);
  if (named.dev !== stats.dev || named.ino !== stats.ino) {
    throw denied(`${path} changed while it was being opened`, { path });
  }
  return real;
}

/** Refuses `realPath` unless the agent's globs allow it. */
function checkAllowed(realPath: string, paths: CallPaths, path: string): void {
  const refusal = paths.refusal(realPath);
  if (refusal !== undefined) {
    throw denied(`access denied: ${refusal} (opened as ${path})`, { path, realPath });
  }
}

/** Opens `path` (following links) and finds out what was opened. The caller closes `handle`. */
async function openAndLocate(path: string, kind: "file" | "directory"): Promise<OpenedEntry> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (kind === "directory" ? constants.O_DIRECTORY : 0);
  let handle: FileHandle;
  try {
    handle = await open(path, flags);
  } catch (error) {
    throw fsError(error, path);
  }
  try {
    const stats = await handle.stat();
    return { handle, realPath: await descriptorRealPath(handle, path, stats), stats };
  } catch (error) {
    await handle.close();
    throw fsError(error, path);
  }
}

/**
 * Opens `path` for reading and checks what was opened: allowed real path, the expected kind,
 * and (for files) a single link. The caller closes `handle`.
 *
 * Throws: `TOOL_PATH_DENIED`, `TOOL_WRONG_FILE_TYPE`, or the fs error's code.
 */
export async function openVerified(path: string, kind: "file" | "directory", paths: CallPaths): Promise<OpenedEntry> {
  const opened = await openAndLocate(path, kind);
  const { handle, realPath, stats } = opened;
  try {
    checkAllowed(realPath, paths, path);
    if (kind === "file" && !stats.isFile()) {
      throw new KernelError(ToolErrorCode.wrongFileType, `${path} is not a regular file`, { details: { path } });
    }
    if (kind === "file" && stats.nlink > 1) {
      throw denied(
        `${path} has ${stats.nlink} hard links; a hard-linked file may also be reachable outside the allowed roots`,
        { path, realPath, links: stats.nlink },
      );
    }
    return opened;
  } catch (error) {
    await handle.close();
    throw fsError(error, path);
  }
}

/**
 * Opens the directory that will hold `path` — its deepest existing ancestor, then (when
 * `create`) each missing directory, made and opened through its parent's descriptor without
 * following a link — and refuses unless the real path the write will land on (that
 * directory's real path plus the last component) is allowed; nothing is created before that
 * check. Only the target must be allowed, as for the gate. The caller closes `handle`.
 */
export async function openParentForWrite(
  path: string,
  paths: CallPaths,
  create: boolean,
): Promise<{ directory: OpenedEntry; name: string; target: string }> {
  const name = basename(path);
  const missing: string[] = [];
  let directory: OpenedEntry | undefined;
  for (let current = dirname(path); directory === undefined; ) {
    try {
      directory = await openAndLocate(current, "directory");
    } catch (error) {
      const parent = dirname(current);
      if (!create || !KernelError.hasCode(error, ToolErrorCode.fileNotFound) || parent === current) throw error;
      missing.unshift(basename(current));
      current = parent;
    }
  }
  try {
    const target = join(directory.realPath, ...missing, name);
    checkAllowed(target, paths, path);
    for (const component of missing) directory = await makeDirectoryIn(directory, component);
    return { directory, name, target };
  } catch (error) {
    await directory.handle.close();
    throw error;
  }
}

/** Creates (or opens) `name` in `parent` without following a symlink there; closes `parent`. */
async function makeDirectoryIn(parent: OpenedEntry, name: string): Promise<OpenedEntry> {
  const path = join(parent.realPath, name);
  try {
    try {
      await mkdir(pathIn(parent, name), { mode: 0o755 });
      const owner = inheritedOwner(parent.stats);
      if (owner !== undefined) await chown(pathIn(parent, name), owner.uid, owner.gid);
    } catch (error) {
      if ((error as { code?: unknown }).code !== "EEXIST") throw fsError(error, path);
    }
    let handle: FileHandle;
    try {
      handle = await open(pathIn(parent, name), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "ELOOP" || code === "ENOTDIR") throw denied(`${path} is not a directory (a symlink?)`, { path });
      throw fsError(error, path);
    }
    const stats = await handle.stat();
    return { handle, realPath: path, stats };
  } finally {
    await parent.handle.close();
  }
}

/**
 * The owner a new file or directory in `directory` should get, when it differs from the
 * kernel's: a root kernel's sandbox runs as an unprivileged user that owns the workspace, and
 * what the file tools create there takes that owner so the agent's programs can use it too.
 */
export function inheritedOwner(directory: Stats): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  if (directory.uid === 0 && directory.gid === 0) return undefined;
  return { uid: directory.uid, gid: directory.gid };
}
