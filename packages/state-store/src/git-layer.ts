/**
 * GitLayer: a git repository at the state root, driven by isomorphic-git.
 *
 * Commits go through the index (`git status --porcelain` is empty afterwards, deletions are
 * staged too) and every git operation runs under the ranked `git.commit` lock (rank 300), so
 * commits, tags and restores never interleave. Changed paths handed over by the StateStore
 * are batched by an owned auto-commit queue (see `auto-commit.ts`). With a `redactor`, commit
 * messages are redacted (file contents are the StateStore's to redact).
 *
 * isomorphic-git is loaded at the first operation that needs it (`git-library.ts`). Opening an
 * existing repository whose `.gitignore` is complete reads no git data: whether HEAD has a
 * commit is checked at the first operation, which first makes the initial commit if an
 * initialisation was cut short before it.
 */

import nodeFs from "node:fs";
import { lstat, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import {
  type Clock,
  createConsoleLogger,
  KernelError,
  kernelLocks,
  type Logger,
  type Mutex,
  noRedaction,
  type Redactor,
  systemClock,
} from "@oxios/core";
import type { CommitObject, ReadObjectResult, TreeObject } from "isomorphic-git";
import { DirectorySyncer, makeDirectoryDurable, writeFileAtomic } from "./atomic-write.ts";
import { type AutoCommitOptions, AutoCommitQueue, type AutoCommitReport } from "./auto-commit.ts";
import { StateStoreErrorCode } from "./error-codes.ts";
import { loadGitLibrary } from "./git-library.ts";
import { LooseObjectWriter, type StagePlan, stage } from "./git-objects.ts";
import type { StateChangeSink } from "./state-store.ts";

export interface GitAuthor {
  name: string;
  email: string;
}

export interface GitLayerOptions {
  /** Working tree: the state root. */
  dir: string;
  clock?: Clock;
  logger?: Logger;
  /** Author of commits that do not name one. Default `Oxios <oxios@localhost>`. */
  author?: GitAuthor;
  /** Auto-commit batching of paths handed to `changed()`. */
  autoCommit?: AutoCommitOptions;
  /** Applied to every commit message; default `noRedaction`. */
  redactor?: Redactor;
}

export interface CommitResult {
  oid: string;
  /** Paths added or updated in the index by this commit. */
  staged: string[];
  /** Paths removed from the index by this commit. */
  removed: string[];
}

export interface CommitInfo {
  oid: string;
  message: string;
  parents: string[];
  author: GitAuthor & { timestamp: number };
}

export type ChangeKind = "added" | "modified" | "deleted";

export interface DiffEntry {
  path: string;
  change: ChangeKind;
}

export interface VerifyResult {
  ok: boolean;
  commits: number;
  objects: number;
  problems: string[];
}

/** Lines every state repository ignores: temp and lock files, the metadata index, secrets. */
export const STATE_GITIGNORE_LINES: readonly string[] = [
  "*.tmp",
  "*.lock",
  ".state-index/",
  ".env",
  ".env.*",
  "*.pem",
  "*.key",
  "secrets/",
];

const DEFAULT_AUTHOR: GitAuthor = { name: "Oxios", email: "oxios@localhost" };

function gitError(error: unknown, what: string): KernelError {
  if (KernelError.isInstance(error)) return error;
  const name = (error as { code?: string; name?: string } | undefined)?.code ?? "";
  if (name === "NotFoundError")
    return new KernelError(StateStoreErrorCode.gitNotFound, `${what}: ${String(error)}`, { cause: error });
  if (name === "AlreadyExistsError") {
    return new KernelError(StateStoreErrorCode.gitAlreadyExists, `${what}: ${String(error)}`, { cause: error });
  }
  return new KernelError(StateStoreErrorCode.gitFailed, `${what}: ${String(error)}`, { cause: error });
}

/** Throws `GIT_PATH_INVALID` unless `path` is a root-relative `/`-separated path outside `.git`. */
function assertRepoPath(path: string): void {
  const bad =
    typeof path !== "string" ||
    path.length === 0 ||
    path.startsWith("/") ||
    path.includes("\\") ||
    path.includes("\0") ||
    path.split("/").some((segment) => segment === ".." || segment === "." || segment === "") ||
    path === ".git" ||
    path.startsWith(".git/");
  if (bad) throw new KernelError(StateStoreErrorCode.gitPathInvalid, `not a repository path: ${JSON.stringify(path)}`);
}

export class GitLayer implements StateChangeSink {
  readonly dir: string;
  readonly gitdir: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #author: GitAuthor;
  readonly #redactor: Redactor;
  readonly #lock: Mutex = kernelLocks.mutex("git.commit");
  readonly #objects: LooseObjectWriter;
  readonly #syncer = new DirectorySyncer();
  readonly #auto: AutoCommitQueue;
  /** True when the index may hold staged changes HEAD lacks (after a failed commit, or at open). */
  #indexMayDifferFromHead = true;
  /** False until HEAD is known to have a commit (checked at the first operation after open). */
  #headChecked = false;
  #closed = false;

  private constructor(options: GitLayerOptions) {
    this.dir = resolve(options.dir);
    this.gitdir = join(this.dir, ".git");
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? createConsoleLogger({ level: "warn" })).child({ component: "git-layer" });
    this.#author = options.author ?? DEFAULT_AUTHOR;
    this.#redactor = options.redactor ?? noRedaction;
    this.#objects = new LooseObjectWriter(this.gitdir, this.#logger);
    this.#auto = new AutoCommitQueue(
      this.#clock,
      this.#logger,
      (paths, message) => this.commit(paths, message, options.autoCommit?.author),
      options.autoCommit ?? {},
    );
  }

  /**
   * Opens the repository at `dir`, initialising it (branch `main`, `.gitignore`, a first
   * commit) when there is none, and completing its `.gitignore` (committed) when lines are
   * missing. An existing repository with a complete `.gitignore` is opened without loading
   * isomorphic-git; its HEAD is checked at the first operation (`#ensureHead`).
   */
  static async open(options: GitLayerOptions): Promise<GitLayer> {
    const layer = new GitLayer(options);
    await layer.#lock.withLock(async () => {
      try {
        await makeDirectoryDurable(layer.dir, layer.#syncer);
        const created = !nodeFs.existsSync(join(layer.gitdir, "HEAD"));
        if (created) {
          const { git } = await loadGitLibrary();
          await git.init({ fs: nodeFs, dir: layer.dir, defaultBranch: "main" });
        }
        const ignoreChanged = await layer.#ensureGitignore();
        if (created || ignoreChanged) {
          const initial = await layer.#commitLocked([".gitignore"], "state: initialise repository", layer.#author);
          layer.#headChecked = initial !== undefined;
        }
      } catch (error) {
        throw gitError(error, `cannot open the git repository at ${layer.dir}`);
      }
    });
    return layer;
  }

  /**
   * Stages `paths` (files or directories; missing ones are staged as deletions) or every
   * change (`'all'`) and commits. Resolves `undefined` when nothing differs from HEAD.
   */
  commit(
    paths: readonly string[] | "all",
    message: string,
    author: GitAuthor = this.#author,
  ): Promise<CommitResult | undefined> {
    if (paths !== "all") {
      try {
        for (const path of paths) assertRepoPath(path);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const redacted = this.#redactor.redact(message);
    return this.#locked("commit", () => this.#commitLocked(paths, redacted, author));
  }

  /** Commits on `main`, newest first. */
  log(options: { depth?: number; ref?: string } = {}): Promise<CommitInfo[]> {
    return this.#locked("log", async () => {
      const { git } = await loadGitLibrary();
      const entries = await git.log({
        fs: nodeFs,
        dir: this.dir,
        ref: options.ref ?? "HEAD",
        ...(options.depth === undefined ? {} : { depth: options.depth }),
      });
      return entries.map((entry) => ({
        oid: entry.oid,
        message: entry.commit.message.replace(/\n$/, ""),
        parents: entry.commit.parent,
        author: {
          name: entry.commit.author.name,
          email: entry.commit.author.email,
          timestamp: entry.commit.author.timestamp,
        },
      }));
    });
  }

  /** Creates lightweight tag `name` at `commit` (default HEAD). `GIT_ALREADY_EXISTS` if taken. */
  tag(name: string, commit = "HEAD"): Promise<void> {
    return this.#locked(`tag ${name}`, async () => {
      const { git } = await loadGitLibrary();
      const oid = await git.resolveRef({ fs: nodeFs, dir: this.dir, ref: commit });
      await git.tag({ fs: nodeFs, dir: this.dir, ref: name, object: oid });
    });
  }

  /** The tags of the repository. */
  listTags(): Promise<string[]> {
    return this.#locked("list tags", async () => {
      const { git } = await loadGitLibrary();
      return git.listTags({ fs: nodeFs, dir: this.dir });
    });
  }

  /** The bytes of `path` at `commit`, or `undefined` if the file is not in that commit. */
  fileAtCommit(path: string, commit: string): Promise<Uint8Array | undefined> {
    try {
      assertRepoPath(path);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#locked(`read ${path} at ${commit}`, () => this.#fileAt(path, commit));
  }

  /**
   * Writes `path` as it was at `commit` into the working tree (durably and atomically; not
   * staged or committed). `GIT_NOT_FOUND` if the commit lacks the file. To keep a restore
   * ordered with StateStore writes to the same key, load it with `fileAtCommit` and `save` it.
   */
  restoreFile(path: string, commit: string): Promise<void> {
    try {
      assertRepoPath(path);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#locked(`restore ${path} from ${commit}`, async () => {
      const bytes = await this.#fileAt(path, commit);
      if (bytes === undefined)
        throw new KernelError(StateStoreErrorCode.gitNotFound, `${path} is not in commit ${commit}`);
      const target = join(this.dir, path);
      await makeDirectoryDurable(dirname(target), this.#syncer);
      await writeFileAtomic(target, bytes, this.#syncer, this.#logger);
    });
  }

  /** Paths that differ between commits `from` and `to`, sorted. */
  diff(from: string, to: string): Promise<DiffEntry[]> {
    return this.#locked(`diff ${from}..${to}`, async () => {
      const { git } = await loadGitLibrary();
      const changes = (await git.walk({
        fs: nodeFs,
        dir: this.dir,
        trees: [git.TREE({ ref: from }), git.TREE({ ref: to })],
        map: async (path, [a, b]) => {
          if (path === ".") return undefined;
          const [typeA, typeB] = await Promise.all([a?.type(), b?.type()]);
          const [oidA, oidB] = await Promise.all([a?.oid(), b?.oid()]);
          if (typeA === "tree" && typeB === "tree") return oidA === oidB ? null : undefined;
          const fileA = typeA === "blob" ? oidA : undefined;
          const fileB = typeB === "blob" ? oidB : undefined;
          if (fileA === fileB) return undefined;
          if (fileA === undefined && fileB === undefined) return undefined;
          const change: ChangeKind = fileA === undefined ? "added" : fileB === undefined ? "deleted" : "modified";
          return { path, change } satisfies DiffEntry;
        },
      })) as DiffEntry[] | undefined;
      return (changes ?? []).filter((entry) => entry !== undefined).sort((x, y) => (x.path < y.path ? -1 : 1));
    });
  }

  /**
   * Reads every commit reachable from HEAD and every tree and blob they name, checking each
   * object's hash (isomorphic-git verifies ids on read), and checks the index names only
   * existing blobs.
   */
  verify(): Promise<VerifyResult> {
    return this.#locked("verify", async () => {
      const { git } = await loadGitLibrary();
      const problems: string[] = [];
      const seen = new Set<string>();
      let commits = 0;
      const read = async (oid: string, what: string): Promise<ReadObjectResult | undefined> => {
        try {
          return await git.readObject({ fs: nodeFs, dir: this.dir, oid });
        } catch (error) {
          problems.push(`${what} ${oid}: ${String(error)}`);
          return undefined;
        }
      };
      const visitTree = async (oid: string, prefix: string): Promise<void> => {
        if (seen.has(oid)) return;
        seen.add(oid);
        const tree = await read(oid, `tree ${prefix || "/"}`);
        if (tree === undefined) return;
        if (tree.type !== "tree") {
          problems.push(`${prefix || "/"}: expected a tree, found ${tree.type}`);
          return;
        }
        for (const entry of tree.object as TreeObject) {
          const path = prefix === "" ? entry.path : `${prefix}/${entry.path}`;
          if (entry.type === "tree") await visitTree(entry.oid, path);
          else if (entry.type === "blob" && !seen.has(entry.oid)) {
            seen.add(entry.oid);
            await read(entry.oid, `blob ${path}`);
          }
        }
      };
      const head = await this.#headOid();
      const pending = head === undefined ? [] : [head];
      while (pending.length > 0) {
        const oid = pending.pop() as string;
        if (seen.has(oid)) continue;
        seen.add(oid);
        const object = await read(oid, "commit");
        if (object === undefined) continue;
        if (object.type !== "commit") {
          problems.push(`${oid}: expected a commit, found ${object.type}`);
          continue;
        }
        commits += 1;
        const commit = object.object as CommitObject;
        await visitTree(commit.tree, "");
        pending.push(...commit.parent);
      }
      const indexed = (await git.walk({
        fs: nodeFs,
        dir: this.dir,
        trees: [git.STAGE()],
        map: async (path, [entry]) => {
          if (path === "." || (await entry?.type()) !== "blob") return undefined;
          return [path, await entry?.oid()];
        },
      })) as Array<[string, string]>;
      for (const [path, oid] of indexed) {
        if (seen.has(oid)) continue;
        try {
          await git.readBlob({ fs: nodeFs, dir: this.dir, oid });
        } catch (error) {
          problems.push(`index entry ${path}: ${String(error)}`);
        }
      }
      return { ok: problems.length === 0, commits, objects: seen.size, problems };
    });
  }

  /** StateChangeSink: queue `paths` for the next auto-commit. */
  changed(paths: readonly string[]): void {
    if (this.#closed) {
      this.#logger.error("change handed to a closed git layer; it will not be committed", { paths });
      return;
    }
    this.#auto.add(paths);
  }

  /**
   * Commits every queued change now and waits for it. Returns what the auto-commit queue
   * committed and every failure since the last flush (each was also logged and reported to
   * `onError`); failed paths stay queued for the next attempt.
   */
  flush(): Promise<AutoCommitReport> {
    return this.#auto.flush();
  }

  /** Flushes and stops the queue; later `changed()` calls are logged as errors. */
  async close(): Promise<AutoCommitReport> {
    this.#closed = true;
    return this.#auto.close();
  }

  async #locked<T>(what: string, body: () => Promise<T>): Promise<T> {
    try {
      return await this.#lock.withLock(async () => {
        await this.#ensureHead();
        return body();
      });
    } catch (error) {
      throw gitError(error, what);
    }
  }

  /**
   * Once per layer, under the lock: makes the initial commit if HEAD has none (a repository
   * whose initialisation stopped between `git init` and its first commit). Deferred from
   * `open` so that opening an existing repository loads no isomorphic-git.
   */
  async #ensureHead(): Promise<void> {
    if (this.#headChecked) return;
    if ((await this.#headOid()) === undefined) {
      await this.#commitLocked([".gitignore"], "state: initialise repository", this.#author);
    }
    this.#headChecked = true;
  }

  async #commitLocked(
    paths: readonly string[] | "all",
    message: string,
    author: GitAuthor,
  ): Promise<CommitResult | undefined> {
    const plan = await this.#plan(paths);
    const outcome = await stage(this.dir, this.gitdir, this.#objects, plan);
    if (!outcome.changed && !this.#indexMayDifferFromHead) return undefined;
    this.#indexMayDifferFromHead = true;
    if (!outcome.changed && !(await this.#indexDiffersFromHead())) {
      this.#indexMayDifferFromHead = false;
      return undefined;
    }
    const seconds = Math.floor(this.#clock.now() / 1000);
    const { git } = await loadGitLibrary();
    const oid = await git.commit({
      fs: nodeFs,
      dir: this.dir,
      message,
      author: { name: author.name, email: author.email, timestamp: seconds, timezoneOffset: 0 },
    });
    this.#indexMayDifferFromHead = false;
    return { oid, staged: outcome.staged, removed: outcome.removed };
  }

  async #plan(paths: readonly string[] | "all"): Promise<StagePlan> {
    const plan: StagePlan = { files: [], removals: [] };
    const fromStatus = async (filepaths: string[] | undefined): Promise<void> => {
      const rows = await this.#statusMatrix(filepaths);
      for (const [path, head, workdir, stageStatus] of rows) {
        if (head === 1 && workdir === 1 && stageStatus === 1) continue;
        if (workdir === 0) plan.removals.push(path);
        else plan.files.push(path);
      }
    };
    if (paths === "all") {
      await fromStatus(undefined);
      return plan;
    }
    for (const path of paths) {
      try {
        const stats = await lstat(join(this.dir, path));
        if (stats.isDirectory()) await fromStatus([path]);
        else plan.files.push(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        plan.removals.push(path, `${path}/`);
      }
    }
    return plan;
  }

  /**
   * isomorphic-git's statusMatrix fails with ENOENT when a file vanishes between its readdir
   * and its stat, which the store's temp files do by design (written, then renamed away).
   * Such a race is retried; a persistent ENOENT is a real error.
   */
  async #statusMatrix(filepaths: string[] | undefined): Promise<Array<[string, number, number, number]>> {
    const { git } = await loadGitLibrary();
    for (let attempt = 1; ; attempt++) {
      try {
        return await git.statusMatrix({ fs: nodeFs, dir: this.dir, ...(filepaths === undefined ? {} : { filepaths }) });
      } catch (error) {
        // isomorphic-git raises this one as a plain Error whose message starts with ENOENT.
        const vanished =
          (error as NodeJS.ErrnoException).code === "ENOENT" || String((error as Error).message).startsWith("ENOENT");
        if (!vanished || attempt >= 5) throw error;
        this.#logger.debug("a file vanished during the status walk; walking again", { attempt, error });
      }
    }
  }

  async #indexDiffersFromHead(): Promise<boolean> {
    const head = await this.#headOid();
    const { git } = await loadGitLibrary();
    const differing = await git.walk({
      fs: nodeFs,
      dir: this.dir,
      trees: head === undefined ? [git.STAGE()] : [git.TREE({ ref: head }), git.STAGE()],
      map: async (path, entries) => {
        if (path === ".") return undefined;
        if (head === undefined) return path;
        const [a, b] = entries;
        const [typeA, typeB] = await Promise.all([a?.type(), b?.type()]);
        if (typeA === "tree" && typeB === "tree") return undefined;
        const [oidA, oidB] = await Promise.all([a?.oid(), b?.oid()]);
        return oidA === oidB ? undefined : path;
      },
    });
    return Array.isArray(differing) && differing.length > 0;
  }

  async #headOid(): Promise<string | undefined> {
    const { git } = await loadGitLibrary();
    try {
      return await git.resolveRef({ fs: nodeFs, dir: this.dir, ref: "HEAD" });
    } catch (error) {
      if ((error as { code?: string }).code === "NotFoundError") return undefined;
      throw error;
    }
  }

  async #fileAt(path: string, commit: string): Promise<Uint8Array | undefined> {
    const { git } = await loadGitLibrary();
    const oid = await git.resolveRef({ fs: nodeFs, dir: this.dir, ref: commit }).catch((error: unknown) => {
      if ((error as { code?: string }).code !== "NotFoundError") throw error;
      return commit;
    });
    try {
      const { blob } = await git.readBlob({ fs: nodeFs, dir: this.dir, oid, filepath: path });
      return blob;
    } catch (error) {
      if ((error as { code?: string }).code === "NotFoundError") return undefined;
      throw error;
    }
  }

  async #ensureGitignore(): Promise<boolean> {
    const path = join(this.dir, ".gitignore");
    let current = "";
    try {
      current = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const present = new Set(current.split("\n").map((line) => line.trim()));
    const missing = STATE_GITIGNORE_LINES.filter((line) => !present.has(line));
    if (missing.length === 0) return false;
    const prefix =
      current === "" ? "# Kept out of the state history by @oxios/state-store\n" : current.endsWith("\n") ? "" : "\n";
    const text = `${current}${prefix}${missing.join("\n")}\n`;
    await writeFileAtomic(path, new TextEncoder().encode(text), this.#syncer, this.#logger);
    return true;
  }
}
