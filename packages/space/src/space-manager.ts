/**
 * SpaceManager: the spaces of a kernel over a SpaceStore — create, read, update, remove,
 * per-session activation, memory links, detection with auto-creation, and the per-session
 * conversation buffers.
 *
 * Concurrency: every change to the catalogue (create, `ensureDefault`, the create step of
 * `detectOrCreate`, update, remove) runs under the `space.create` mutex (rank 100), so
 * check-and-create is one critical section: any number of concurrent `ensureDefault()` or
 * `detectOrCreate()` calls for one name create exactly one space. Stores also refuse a
 * duplicate name, which protects several managers sharing one database. Activation is per
 * session: each session has its own active space, and setting one never touches another.
 */

import { type Clock, KernelError, kernelLocks, type Logger, newId, systemClock } from "@oxios/core";
import { createEvent, type EventPublisher } from "@oxios/event-bus";
import { type ConversationBufferOptions, ConversationBuffers } from "./conversation-buffers.ts";
import { type Detection, type DetectionReason, type DetectOptions, detectSpace, spaceCandidate } from "./detect.ts";
import { SpaceErrorCode } from "./error-codes.ts";
import {
  type CreateSpaceInput,
  DEFAULT_SPACE_EMOJI,
  DEFAULT_SPACE_ID,
  DEFAULT_SPACE_NAME,
  NEW_SPACE_EMOJI,
  type Space,
  spaceNameKey,
  type UpdateSpaceInput,
  validateBoolean,
  validateDescription,
  validateEmoji,
  validateId,
  validatePaths,
  validateSource,
  validateSpaceName,
  validateTags,
} from "./space.ts";
import type { SpaceStore } from "./space-store.ts";

export interface SpaceManagerOptions extends ConversationBufferOptions {
  store: SpaceStore;
  publisher: EventPublisher;
  clock?: Clock;
  logger?: Logger;
  /** Home directory used to expand `~` during detection; without it `~/…` matches only `~/…`. */
  home?: string;
  /** The `source` of published events; default `"space"`. */
  eventSource?: string;
}

/** Why `detectOrCreate` chose its space. */
export type ResolutionReason = DetectionReason | "created" | "active" | "default";

export interface SpaceResolution {
  readonly space: Space;
  readonly reason: ResolutionReason;
  /** What matched (see `Detection.match`), or the name of a created space. */
  readonly match?: string;
}

export interface DetectOrCreateOptions extends DetectOptions {
  /** When nothing matches and nothing is created, the session's active space is the answer. */
  sessionId?: string | undefined;
}

function notFound(id: string): KernelError {
  return new KernelError(SpaceErrorCode.notFound, `no space with id ${id}`, { details: { spaceId: id } });
}

function byDisplayOrder(a: Space, b: Space): number {
  if (a.id === DEFAULT_SPACE_ID) return -1;
  if (b.id === DEFAULT_SPACE_ID) return 1;
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The spaces of a kernel: see the module comment. Each public method's comment says how it
 * fails ("Throws:"). Besides the codes it names, any method can reject with the store's
 * failures (`SPACE_STORE_CORRUPT`; a database store's `DATABASE_*` codes) and, all but
 * `forgetSession`, with `LOCK_ORDER` or `LOCK_REENTRANT` when its flow already holds the
 * `space.create` lock (rank 100) or a lock ranked above it. A method that publishes an event
 * stores its change first, so a publisher's error (`BUS_CLOSED`) rejects the call with the
 * change kept. The constructor throws `SPACE_INPUT_INVALID` for a `maxTurns` or `tokenBudget`
 * that is not an integer ≥ 1.
 * Abort: no method takes a signal; a started call runs to its end.
 */
export class SpaceManager {
  /** The per-session conversation buffers, kept in the same store. */
  readonly conversations: ConversationBuffers;
  readonly #store: SpaceStore;
  readonly #publisher: EventPublisher;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #home: string | undefined;
  readonly #eventSource: string;
  readonly #catalogue = kernelLocks.mutex("space.create");
  #defaultEnsured = false;

  constructor(options: SpaceManagerOptions) {
    this.#store = options.store;
    this.#publisher = options.publisher;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    this.#home = options.home;
    this.#eventSource = options.eventSource ?? "space";
    this.conversations = new ConversationBuffers({ ...options, store: options.store, clock: this.#clock });
  }

  /**
   * The default space, created (once, whatever the concurrency) if the store lacks it.
   *
   * When another manager on the same store (another kernel node on one database) creates it
   * at the same moment, the store refuses the second insert and this returns the one stored.
   *
   * Throws: `SPACE_NAME_TAKEN` when another space already holds the name `Default`.
   */
  async ensureDefault(): Promise<Space> {
    if (this.#defaultEnsured) {
      const existing = await this.#store.getSpace(DEFAULT_SPACE_ID);
      if (existing !== undefined) return existing;
    }
    return this.#catalogue.withLock(async () => {
      const existing = await this.#store.getSpace(DEFAULT_SPACE_ID);
      if (existing !== undefined) {
        this.#defaultEnsured = true;
        return existing;
      }
      const now = this.#clock.now();
      const space: Space = {
        id: DEFAULT_SPACE_ID,
        name: DEFAULT_SPACE_NAME,
        description: "The space used when no other space applies.",
        paths: [],
        tags: [],
        emoji: DEFAULT_SPACE_EMOJI,
        source: "manual",
        memoryVisible: true,
        createdAt: now,
        updatedAt: now,
        lastActiveAt: now,
      };
      try {
        await this.#insert(space);
      } catch (error) {
        const raced =
          KernelError.hasCode(error, SpaceErrorCode.idTaken) || KernelError.hasCode(error, SpaceErrorCode.nameTaken);
        const stored = raced ? await this.#store.getSpace(DEFAULT_SPACE_ID) : undefined;
        if (stored === undefined) throw error;
        this.#defaultEnsured = true;
        return stored;
      }
      this.#defaultEnsured = true;
      return space;
    });
  }

  /**
   * Creates a space.
   *
   * Throws: `SPACE_NAME_INVALID` for a bad name (or an input that is not an object),
   * `SPACE_INPUT_INVALID` for another bad field, `SPACE_NAME_TAKEN` when the name
   * (case-insensitively) is in use; nothing is stored when it throws.
   */
  async create(input: CreateSpaceInput): Promise<Space> {
    const space = this.#build(input);
    await this.ensureDefault();
    return this.#catalogue.withLock(async () => {
      await this.#insert(space);
      return space;
    });
  }

  /**
   * The space with `id`.
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed id, `SPACE_NOT_FOUND` when there is none.
   */
  async get(id: string): Promise<Space> {
    validateId("spaceId", id);
    if (id === DEFAULT_SPACE_ID) return this.ensureDefault();
    const space = await this.#store.getSpace(id);
    if (space === undefined) throw notFound(id);
    return space;
  }

  /**
   * The space named `name` (case-insensitively), if any.
   *
   * Throws: `SPACE_NAME_INVALID` for a malformed name; an unknown name answers `undefined`.
   */
  async findByName(name: string): Promise<Space | undefined> {
    const key = spaceNameKey(validateSpaceName(name));
    return (await this.list()).find((space) => spaceNameKey(space.name) === key);
  }

  /**
   * Every space: the default first, then by creation time.
   *
   * Throws: only `ensureDefault`'s failures.
   */
  async list(): Promise<Space[]> {
    await this.ensureDefault();
    return (await this.#store.listSpaces()).sort(byDisplayOrder);
  }

  /**
   * Changes the given fields.
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed id or patch field, `SPACE_NAME_INVALID` for a
   * bad name, `SPACE_NOT_FOUND`, `SPACE_NAME_TAKEN`; nothing is changed when it throws.
   */
  async update(id: string, patch: UpdateSpaceInput): Promise<Space> {
    validateId("spaceId", id);
    const changes = this.#validatePatch(patch);
    if (id === DEFAULT_SPACE_ID) await this.ensureDefault();
    return this.#catalogue.withLock(async () => {
      const current = await this.#store.getSpace(id);
      if (current === undefined) throw notFound(id);
      const next: Space = { ...current, ...changes, updatedAt: Math.max(current.updatedAt, this.#clock.now()) };
      if (!(await this.#store.updateSpace(next))) throw notFound(id);
      const stored = (await this.#store.getSpace(id)) ?? next;
      this.#publisher.publish(
        createEvent("space.updated", { spaceId: id, name: stored.name }, this.#eventSource, this.#clock.now()),
      );
      return stored;
    });
  }

  /**
   * Removes a space with its memory links; sessions that had it active fall back to the
   * default.
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed id, `SPACE_DEFAULT_PROTECTED` for the default
   * space, `SPACE_NOT_FOUND` for an unknown id.
   */
  async remove(id: string): Promise<void> {
    validateId("spaceId", id);
    if (id === DEFAULT_SPACE_ID) {
      throw new KernelError(SpaceErrorCode.defaultProtected, "the default space cannot be removed", {
        details: { spaceId: id },
      });
    }
    await this.#catalogue.withLock(async () => {
      const current = await this.#store.getSpace(id);
      if (current === undefined || !(await this.#store.deleteSpace(id))) throw notFound(id);
      this.#publisher.publish(
        createEvent("space.removed", { spaceId: id, name: current.name }, this.#eventSource, this.#clock.now()),
      );
    });
  }

  /**
   * Marks the space as used now (`lastActiveAt`); publishes nothing.
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed id, `SPACE_NOT_FOUND`.
   */
  async touch(id: string): Promise<Space> {
    validateId("spaceId", id);
    if (id === DEFAULT_SPACE_ID) await this.ensureDefault();
    const touched = await this.#store.touchSpace(id, this.#clock.now());
    if (touched === undefined) throw notFound(id);
    return touched;
  }

  /**
   * Makes `id` the active space of `sessionId` only, and touches it.
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed space or session id, `SPACE_NOT_FOUND`.
   */
  async activate(id: string, sessionId: string): Promise<Space> {
    validateId("spaceId", id);
    validateId("sessionId", sessionId);
    if (id === DEFAULT_SPACE_ID) await this.ensureDefault();
    const now = this.#clock.now();
    if (!(await this.#store.setActiveSpace(sessionId, id, now))) throw notFound(id);
    const touched = await this.#store.touchSpace(id, now);
    if (touched === undefined) throw notFound(id);
    this.#publisher.publish(createEvent("space.activated", { spaceId: id, sessionId }, this.#eventSource, now));
    return touched;
  }

  /**
   * The session's active space; the default when none was activated or it was removed.
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed session id.
   */
  async activeSpace(sessionId: string): Promise<Space> {
    validateId("sessionId", sessionId);
    const id = await this.#store.activeSpaceId(sessionId);
    if (id !== undefined) {
      const space = await this.#store.getSpace(id);
      if (space !== undefined) return space;
      this.#logger?.warn("active space no longer exists; using the default space", { sessionId, spaceId: id });
    }
    return this.ensureDefault();
  }

  /**
   * Links a memory to a space; `true` when the link is new.
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed space or memory id, `SPACE_NOT_FOUND`.
   */
  async linkMemory(spaceId: string, memoryId: string): Promise<boolean> {
    validateId("memoryId", memoryId);
    await this.get(spaceId);
    if (await this.#store.linkMemory(spaceId, memoryId, this.#clock.now())) return true;
    // False means "already linked" unless the space vanished in between.
    await this.get(spaceId);
    return false;
  }

  /**
   * Removes a link; `true` when there was one.
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed space or memory id, `SPACE_NOT_FOUND`.
   */
  async unlinkMemory(spaceId: string, memoryId: string): Promise<boolean> {
    validateId("memoryId", memoryId);
    await this.get(spaceId);
    return this.#store.unlinkMemory(spaceId, memoryId);
  }

  /**
   * Memory ids linked to the space, oldest link first.
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed space id, `SPACE_NOT_FOUND`.
   */
  async linkedMemories(spaceId: string): Promise<string[]> {
    await this.get(spaceId);
    return this.#store.linkedMemories(spaceId);
  }

  /**
   * The space a message belongs to (see `detectSpace`), without creating anything.
   *
   * Throws: `SPACE_INPUT_INVALID` when `message` is not a string.
   */
  async detect(message: string, options: DetectOptions = {}): Promise<Detection | undefined> {
    this.#validateMessage(message);
    return detectSpace(message, await this.list(), this.#withHome(options));
  }

  /**
   * Detects the message's space; when none matches and the message names a project or a
   * path (see `spaceCandidate`), creates an auto-detected space for it — exactly once, however
   * many calls race. Otherwise answers the session's active space, or the default.
   *
   * Throws: `SPACE_INPUT_INVALID` when `message` is not a string or `sessionId` is malformed.
   */
  async detectOrCreate(message: string, options: DetectOrCreateOptions = {}): Promise<SpaceResolution> {
    this.#validateMessage(message);
    if (options.sessionId !== undefined) validateId("sessionId", options.sessionId);
    const context = this.#withHome(options);
    const spaces = await this.list();
    const found = detectSpace(message, spaces, context);
    if (found !== undefined) return found;
    const candidate = spaceCandidate(message, context);
    if (candidate === undefined) {
      if (options.sessionId === undefined) return { space: await this.ensureDefault(), reason: "default" };
      const active = await this.activeSpace(options.sessionId);
      return { space: active, reason: active.id === DEFAULT_SPACE_ID ? "default" : "active" };
    }
    const holder = spaces.find((space) => spaceNameKey(space.name) === spaceNameKey(candidate.name));
    if (holder !== undefined) return { space: holder, reason: "name", match: holder.name };
    return this.#catalogue.withLock(async () => {
      // Check again inside the critical section: a racing call may have created it.
      const fresh = await this.#store.listSpaces();
      const again = detectSpace(message, fresh, context);
      if (again !== undefined) return again;
      const taken = fresh.find((space) => spaceNameKey(space.name) === spaceNameKey(candidate.name));
      if (taken !== undefined) return { space: taken, reason: "name", match: taken.name };
      const space = this.#build({
        name: candidate.name,
        paths: candidate.paths,
        source: "auto_detected",
        description: `Created for ${candidate.origin === "project" ? "the project" : "the path"} named in a message.`,
      });
      await this.#insert(space);
      return { space, reason: "created", match: candidate.name };
    });
  }

  /**
   * Drops what is kept for a session: its conversation turns and its active space.
   *
   * Throws: `SPACE_INPUT_INVALID` for a malformed session id; `LOCK_ORDER` or `LOCK_REENTRANT`
   * when its flow holds a `space.conversation` lock (rank 110) or one ranked above it.
   */
  async forgetSession(sessionId: string): Promise<void> {
    await this.conversations.forget(sessionId);
  }

  async #insert(space: Space): Promise<void> {
    await this.#store.insertSpace(space);
    this.#publisher.publish(
      createEvent(
        "space.created",
        { spaceId: space.id, name: space.name, source: space.source },
        this.#eventSource,
        this.#clock.now(),
      ),
    );
  }

  #build(input: CreateSpaceInput): Space {
    if (typeof input !== "object" || input === null) {
      throw new KernelError(SpaceErrorCode.nameInvalid, "create needs an object with a name");
    }
    const now = this.#clock.now();
    return {
      id: newId(now),
      name: validateSpaceName(input.name),
      description: input.description === undefined ? "" : validateDescription(input.description),
      paths: input.paths === undefined ? [] : validatePaths(input.paths),
      tags: input.tags === undefined ? [] : validateTags(input.tags),
      emoji: input.emoji === undefined ? NEW_SPACE_EMOJI : validateEmoji(input.emoji),
      source: input.source === undefined ? "manual" : validateSource(input.source),
      memoryVisible: input.memoryVisible === undefined ? true : validateBoolean("memoryVisible", input.memoryVisible),
      createdAt: now,
      updatedAt: now,
      lastActiveAt: now,
    };
  }

  #validatePatch(patch: UpdateSpaceInput): Partial<Space> {
    if (typeof patch !== "object" || patch === null) {
      throw new KernelError(SpaceErrorCode.inputInvalid, "update needs an object of fields", {
        details: { field: "patch" },
      });
    }
    const changes: { -readonly [K in keyof Space]?: Space[K] } = {};
    if (patch.name !== undefined) changes.name = validateSpaceName(patch.name);
    if (patch.description !== undefined) changes.description = validateDescription(patch.description);
    if (patch.paths !== undefined) changes.paths = validatePaths(patch.paths);
    if (patch.tags !== undefined) changes.tags = validateTags(patch.tags);
    if (patch.emoji !== undefined) changes.emoji = validateEmoji(patch.emoji);
    if (patch.memoryVisible !== undefined)
      changes.memoryVisible = validateBoolean("memoryVisible", patch.memoryVisible);
    return changes;
  }

  #validateMessage(message: unknown): void {
    if (typeof message !== "string") {
      throw new KernelError(SpaceErrorCode.inputInvalid, "message must be a string", { details: { field: "message" } });
    }
  }

  #withHome(options: DetectOptions): DetectOptions {
    return options.home === undefined && this.#home !== undefined ? { ...options, home: this.#home } : options;
  }
}
