/**
 * An agent's workspace directory, made on first use. A session knows the workspace's real path
 * from the start (the path globs and the guard need it), but the directory is created only
 * when a call reaches the filesystem — one that names paths or runs a program — so a run that
 * never touches files leaves nothing on disk and costs no directory operations.
 *
 * Every run gets a new workspace in the same parent directory, so the parent's real path is
 * resolved once per `WorkspaceParents` (one per registry) rather than once per run. A parent
 * swapped for a symlink afterwards is caught where it matters: `ready()` resolves the made
 * directory again and refuses it unless it is where the session resolved it.
 */

import { existsSync } from "node:fs";
import { chown, mkdir, realpath, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { KernelError } from "@oxios/core";
import { ToolErrorCode } from "./error-codes.ts";
import { fsError } from "./errors.ts";

/** Who owns a workspace when it is not the kernel's user (a root kernel's sandbox user). */
export interface WorkspaceOwner {
  uid: number;
  gid: number;
}

/** The real paths of workspace parents, each resolved (and made when missing) once. */
export class WorkspaceParents {
  readonly #real = new Map<string, string>();

  /** The real path of `parent`, made first when missing. Throws the fs error (a failure is not kept). */
  async resolve(parent: string): Promise<string> {
    const known = this.#real.get(parent);
    if (known !== undefined) return known;
    if (!existsSync(parent)) await mkdir(parent, { recursive: true });
    const real = await realpath(parent);
    this.#real.set(parent, real);
    return real;
  }
}

export class Workspace {
  /** The workspace's real path: where it is, or where it will be made. */
  readonly path: string;
  readonly #requested: string;
  readonly #owner: WorkspaceOwner | undefined;
  #ready: Promise<void> | undefined;

  private constructor(path: string, requested: string, owner: WorkspaceOwner | undefined, exists: boolean) {
    this.path = path;
    this.#requested = requested;
    this.#owner = owner;
    if (exists) this.#ready = Promise.resolve();
  }

  /**
   * Resolves `dir` through symlinks without creating it (its parent is created when missing,
   * and resolved through `parents`). An existing workspace is given to `owner` now.
   *
   * Throws: `TOOL_FILE_TYPE_INVALID`, `TOOL_FS_PERMISSION` or `TOOL_FS_FAILED` when the path
   * cannot be resolved or the existing workspace not given to its owner.
   */
  static async open(
    dir: string,
    owner: WorkspaceOwner | undefined,
    parents: WorkspaceParents = new WorkspaceParents(),
  ): Promise<Workspace> {
    // `existsSync` rather than a failed `realpath`: an ENOENT costs an error with its stack, and
    // a new run's workspace is always missing.
    try {
      if (existsSync(dir)) {
        const real = await realpath(dir);
        await giveTo(real, owner, false);
        return new Workspace(real, dir, owner, true);
      }
      return new Workspace(join(await parents.resolve(dirname(dir)), basename(dir)), dir, owner, false);
    } catch (error) {
      throw fsError(error, dir);
    }
  }

  /**
   * Makes the directory if it is not there yet (once per session; a failed attempt is tried
   * again by the next call) and checks it is where the session resolved it: a symlink planted
   * there in between is refused (`TOOL_PATH_DENIED`).
   *
   * Throws: `TOOL_PATH_DENIED`, `TOOL_FS_PERMISSION`, `TOOL_FS_FAILED`.
   */
  ready(): Promise<void> {
    this.#ready ??= this.#make().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #make(): Promise<void> {
    let created: string | undefined;
    let real: string;
    try {
      created = await mkdir(this.#requested, { recursive: true });
      real = await realpath(this.#requested);
    } catch (error) {
      throw fsError(error, this.#requested);
    }
    if (real !== this.path) {
      throw new KernelError(
        ToolErrorCode.pathDenied,
        `the workspace ${this.#requested} now resolves to ${real}, not ${this.path}`,
        { details: { path: this.#requested } },
      );
    }
    try {
      await giveTo(real, this.#owner, created !== undefined);
    } catch (error) {
      throw fsError(error, this.#requested);
    }
  }
}

/** A workspace made just now is given to its owner at once; one that was there is looked at first. */
async function giveTo(path: string, owner: WorkspaceOwner | undefined, createdNow: boolean): Promise<void> {
  if (owner === undefined) return;
  const stats = createdNow ? undefined : await stat(path);
  if (stats === undefined || stats.uid !== owner.uid || stats.gid !== owner.gid) {
    await chown(path, owner.uid, owner.gid);
  }
}
