/**
 * isomorphic-git (with `pako`, `sha.js` and their dependencies), loaded at the git layer's
 * first use rather than with the package: opening an existing repository reads no git data,
 * so a kernel at rest in an existing home never loads it. Loaded once (`loadOnce`), shared by
 * the calls that wait for it; a failed load is `GIT_FAILED` with the import's own message and
 * the next call tries again. Elsewhere isomorphic-git is imported only for its types.
 */

import nodeFs from "node:fs";
import { KernelError, loadOnce } from "@oxios/core";
import type { GitIgnoreManager, GitIndexManager } from "isomorphic-git/managers";
import type { FileSystem } from "isomorphic-git/models";
import { StateStoreErrorCode } from "./error-codes.ts";

export interface GitLibrary {
  git: typeof import("isomorphic-git")["default"];
  GitIndexManager: typeof GitIndexManager;
  GitIgnoreManager: typeof GitIgnoreManager;
  /** isomorphic-git's wrapper around node's fs, as its managers expect it. */
  fileSystem: FileSystem;
}

export const loadGitLibrary: () => Promise<GitLibrary> = loadOnce(
  async () => {
    const [main, managers, models] = await Promise.all([
      import("isomorphic-git"),
      import("isomorphic-git/managers"),
      import("isomorphic-git/models"),
    ]);
    return {
      git: main.default,
      GitIndexManager: managers.GitIndexManager,
      GitIgnoreManager: managers.GitIgnoreManager,
      fileSystem: new models.FileSystem(nodeFs),
    };
  },
  (cause) =>
    new KernelError(
      StateStoreErrorCode.gitFailed,
      `isomorphic-git could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    ),
);
