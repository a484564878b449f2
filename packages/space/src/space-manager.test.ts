import { KernelError } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import { EventBus } from "@oxios/event-bus";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InMemorySpaceStore } from "./in-memory-space-store.ts";
import { DEFAULT_SPACE_ID, type Space, spaceNameKey, spaceTag } from "./space.ts";
import { SpaceManager } from "./space-manager.ts";
import type { SpaceStore } from "./space-store.ts";

function setup(options: { home?: string } = {}) {
  const store = new InMemorySpaceStore();
  const publisher = new RecordingPublisher();
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const manager = new SpaceManager({ store, publisher, clock, ...options });
  return { store, publisher, clock, manager };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (KernelError.isInstance(error) ? error.code : `not a KernelError: ${String(error)}`),
  );
}

describe("SpaceManager — the catalogue", () => {
  it("always has the default space, listed first, with its display tag", async () => {
    const { manager } = setup();
    const spaces = await manager.list();
    expect(spaces.map((space) => space.id)).toEqual([DEFAULT_SPACE_ID]);
    expect(spaceTag(spaces[0] as Space)).toBe("[🏠 Default]");
    expect((await manager.get(DEFAULT_SPACE_ID)).name).toBe("Default");
  });

  it("creates, reads, updates, touches and removes, publishing each change", async () => {
    const { manager, publisher, clock } = setup();
    const space = await manager.create({ name: "  Oxios  ", paths: ["/work/oxios/"], tags: ["Kernel"] });
    expect(space).toMatchObject({ name: "Oxios", paths: ["/work/oxios"], tags: ["kernel"], source: "manual" });
    expect(spaceTag(space)).toBe("[📁 Oxios]");
    expect(spaceTag({ emoji: "", name: "Bare" })).toBe("[Bare]");
    expect(await manager.get(space.id)).toEqual(space);
    expect(await manager.findByName("OXIOS")).toEqual(space);

    clock.advance(1000);
    const updated = await manager.update(space.id, { name: "Oxios TS", emoji: "🦀", memoryVisible: false });
    expect(updated).toMatchObject({
      name: "Oxios TS",
      emoji: "🦀",
      memoryVisible: false,
      updatedAt: space.createdAt + 1000,
    });
    clock.advance(1000);
    expect((await manager.touch(space.id)).lastActiveAt).toBe(space.createdAt + 2000);

    await manager.remove(space.id);
    expect(await codeOf(manager.get(space.id))).toBe("SPACE_NOT_FOUND");
    expect(publisher.types()).toEqual(["space.created", "space.created", "space.updated", "space.removed"]);
    expect(publisher.ofType("space.created").map((event) => event.payload)).toEqual([
      { spaceId: DEFAULT_SPACE_ID, name: "Default", source: "manual" },
      { spaceId: space.id, name: "Oxios", source: "manual" },
    ]);
    expect(publisher.ofType("space.updated")[0]?.payload).toEqual({ spaceId: space.id, name: "Oxios TS" });
    expect(publisher.ofType("space.removed")[0]?.payload).toEqual({ spaceId: space.id, name: "Oxios TS" });
    expect(publisher.events.every((event) => event.source === "space")).toBe(true);
  });

  it("answers bad input with stable codes and changes nothing", async () => {
    const { manager } = setup();
    const space = await manager.create({ name: "Alpha" });
    const other = await manager.create({ name: "Beta" });
    expect(await codeOf(manager.create({ name: "ALPHA" }))).toBe("SPACE_NAME_TAKEN");
    expect(await codeOf(manager.update(other.id, { name: "alpha" }))).toBe("SPACE_NAME_TAKEN");
    expect(await codeOf(manager.create({ name: "default" }))).toBe("SPACE_NAME_TAKEN");
    expect(await codeOf(manager.create({ name: "   " }))).toBe("SPACE_NAME_INVALID");
    expect(await codeOf(manager.create({ name: "x".repeat(65) }))).toBe("SPACE_NAME_INVALID");
    expect(await codeOf(manager.create({ name: "line\nbreak" }))).toBe("SPACE_NAME_INVALID");
    expect(await codeOf(manager.create({ name: 42 as unknown as string }))).toBe("SPACE_NAME_INVALID");
    expect(await codeOf(manager.create({ name: "é".repeat(64) }))).toBeUndefined();
    expect(await codeOf(manager.create({ name: "Paths", paths: ["relative/dir"] }))).toBe("SPACE_INPUT_INVALID");
    expect(await codeOf(manager.create({ name: "Tags", tags: ["two words"] }))).toBe("SPACE_INPUT_INVALID");
    expect(await codeOf(manager.remove(DEFAULT_SPACE_ID))).toBe("SPACE_DEFAULT_PROTECTED");
    for (const call of [
      manager.get("nope"),
      manager.update("nope", { description: "x" }),
      manager.remove("nope"),
      manager.touch("nope"),
      manager.activate("nope", "s"),
      manager.linkMemory("nope", "m"),
      manager.unlinkMemory("nope", "m"),
      manager.linkedMemories("nope"),
    ]) {
      expect(await codeOf(call)).toBe("SPACE_NOT_FOUND");
    }
    expect(await codeOf(manager.get(""))).toBe("SPACE_INPUT_INVALID");
    expect((await manager.get(space.id)).name).toBe("Alpha");
    expect((await manager.list()).map((item) => item.name)).toEqual(["Default", "Alpha", "Beta", "é".repeat(64)]);
  });

  it("lets the default space be renamed but never removed", async () => {
    const { manager } = setup();
    const renamed = await manager.update(DEFAULT_SPACE_ID, { name: "Home" });
    expect(renamed.name).toBe("Home");
    expect(await codeOf(manager.remove(DEFAULT_SPACE_ID))).toBe("SPACE_DEFAULT_PROTECTED");
    expect((await manager.ensureDefault()).name).toBe("Home");
  });

  it("links and unlinks memories, and drops links with the space", async () => {
    const { manager } = setup();
    const space = await manager.create({ name: "Linked" });
    expect(await manager.linkMemory(space.id, "m1")).toBe(true);
    expect(await manager.linkMemory(space.id, "m1")).toBe(false);
    expect(await manager.linkMemory(space.id, "m2")).toBe(true);
    expect(await manager.linkedMemories(space.id)).toEqual(["m1", "m2"]);
    expect(await manager.unlinkMemory(space.id, "m1")).toBe(true);
    expect(await manager.unlinkMemory(space.id, "m1")).toBe(false);
    expect(await codeOf(manager.linkMemory(space.id, ""))).toBe("SPACE_INPUT_INVALID");
    await manager.remove(space.id);
    expect(await codeOf(manager.linkedMemories(space.id))).toBe("SPACE_NOT_FOUND");
  });
});

describe("SpaceManager — sessions", () => {
  it("keeps each session's active space to itself", async () => {
    const { manager, publisher } = setup();
    const a = await manager.create({ name: "A" });
    const b = await manager.create({ name: "B" });
    expect((await manager.activeSpace("s1")).id).toBe(DEFAULT_SPACE_ID);
    await manager.activate(a.id, "s1");
    await manager.activate(b.id, "s2");
    expect((await manager.activeSpace("s1")).id).toBe(a.id);
    expect((await manager.activeSpace("s2")).id).toBe(b.id);
    expect((await manager.activeSpace("s3")).id).toBe(DEFAULT_SPACE_ID);
    await manager.activate(b.id, "s1");
    expect((await manager.activeSpace("s2")).id).toBe(b.id);
    expect(publisher.ofType("space.activated").map((event) => event.payload)).toEqual([
      { spaceId: a.id, sessionId: "s1" },
      { spaceId: b.id, sessionId: "s2" },
      { spaceId: b.id, sessionId: "s1" },
    ]);
  });

  it("falls back to the default when the active space is removed", async () => {
    const { manager } = setup();
    const a = await manager.create({ name: "A" });
    await manager.activate(a.id, "s1");
    await manager.remove(a.id);
    expect((await manager.activeSpace("s1")).id).toBe(DEFAULT_SPACE_ID);
  });

  it("touches the space it activates", async () => {
    const { manager, clock } = setup();
    const a = await manager.create({ name: "A" });
    clock.advance(5000);
    expect((await manager.activate(a.id, "s1")).lastActiveAt).toBe(a.createdAt + 5000);
  });

  it("forgets a session's turns and active space", async () => {
    const { manager } = setup();
    const a = await manager.create({ name: "A" });
    await manager.activate(a.id, "s1");
    await manager.conversations.append("s1", { role: "user", content: "hi" });
    await manager.forgetSession("s1");
    expect(await manager.conversations.turns("s1")).toEqual([]);
    expect((await manager.activeSpace("s1")).id).toBe(DEFAULT_SPACE_ID);
  });
});

describe("SpaceManager — detectOrCreate", () => {
  it("finds, creates, then finds what it created", async () => {
    const { manager, publisher } = setup({ home: "/home/ana" });
    const first = await manager.detectOrCreate("please look at ~/code/atlas/src/main.ts");
    expect(first.reason).toBe("created");
    expect(first.space).toMatchObject({ name: "src", paths: ["~/code/atlas/src"], source: "auto_detected" });
    const again = await manager.detectOrCreate("what about /home/ana/code/atlas/src/lib.ts");
    expect(again).toMatchObject({ reason: "path", space: { id: first.space.id } });
    expect(publisher.ofType("space.created").at(-1)?.payload).toEqual({
      spaceId: first.space.id,
      name: "src",
      source: "auto_detected",
    });
  });

  it("creates a named project once and finds it by name afterwards", async () => {
    const { manager } = setup();
    const created = await manager.detectOrCreate('start project "Blue Whale" today');
    expect(created).toMatchObject({ reason: "created", space: { name: "Blue Whale", paths: [] } });
    expect(await manager.detectOrCreate("how is blue whale going?")).toMatchObject({
      reason: "name",
      space: { id: created.space.id },
    });
  });

  it("answers an existing space whose name a path spells, instead of creating a twin", async () => {
    const { manager } = setup();
    const atlas = await manager.create({ name: "Atlas" });
    expect(await manager.detectOrCreate("open /srv/atlas")).toMatchObject({ reason: "name", space: { id: atlas.id } });
    expect(await manager.detectOrCreate("open /srv/default")).toMatchObject({
      reason: "name",
      space: { id: DEFAULT_SPACE_ID },
    });
    expect(await manager.list()).toHaveLength(2);
  });

  it("falls back to the session's active space, then to the default", async () => {
    const { manager } = setup();
    const a = await manager.create({ name: "A" });
    await manager.activate(a.id, "s1");
    expect(await manager.detectOrCreate("just chatting", { sessionId: "s1" })).toMatchObject({
      reason: "active",
      space: { id: a.id },
    });
    expect(await manager.detectOrCreate("just chatting", { sessionId: "s2" })).toMatchObject({ reason: "default" });
    expect(await manager.detectOrCreate("just chatting")).toMatchObject({ reason: "default" });
    expect(await manager.detect("just chatting")).toBeUndefined();
    expect(await codeOf(manager.detectOrCreate(7 as unknown as string))).toBe("SPACE_INPUT_INVALID");
  });

  it("two managers on one store (two kernel nodes) ensuring the default at once both get the one stored", async () => {
    const store = new InMemorySpaceStore();
    const publisher = new RecordingPublisher();
    const managers = [0, 1].map(() => new SpaceManager({ store, publisher, clock: new ManualClock(0) }));
    const ensured = await Promise.all(managers.map((manager) => manager.ensureDefault()));
    expect(ensured.map((space) => space.id)).toEqual([DEFAULT_SPACE_ID, DEFAULT_SPACE_ID]);
    expect((await store.listSpaces()).map((space) => space.id)).toEqual([DEFAULT_SPACE_ID]);
    expect(publisher.ofType("space.created")).toHaveLength(1);
  });

  it("creates one space for 100 concurrent calls naming the same project different ways", async () => {
    const { manager, publisher } = setup();
    const messages = ["project: Orca", 'project "orca"', "work on /srv/orca", "open /srv/orca/README.md", "ORCA?"];
    // With the default already there, all 100 calls reach detection in the same tick.
    await manager.ensureDefault();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, index) => manager.detectOrCreate(messages[index % 4] as string)),
    );
    expect(new Set(results.map((result) => result.space.id)).size).toBe(1);
    expect(results.filter((result) => result.reason === "created")).toHaveLength(1);
    expect(publisher.ofType("space.created").filter((event) => event.payload.source === "auto_detected")).toHaveLength(
      1,
    );
    expect(await manager.detectOrCreate(messages[4] as string)).toMatchObject({ reason: "name" });
  });
});

/** A store whose every call waits for the fast-check scheduler before and after it runs. */
function scheduledStore(inner: SpaceStore, schedule: <T>(value: T, label: string) => Promise<T>): SpaceStore {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        await schedule(undefined, `${String(property)}:before`);
        const result = await (value as (...params: unknown[]) => Promise<unknown>).apply(target, args);
        return schedule(result, `${String(property)}:after`);
      };
    },
  });
}

type Operation =
  | { kind: "ensureDefault" }
  | { kind: "detectOrCreate"; message: string }
  | { kind: "create"; name: string }
  | { kind: "rename"; name: string }
  | { kind: "append"; session: string }
  | { kind: "activate"; session: string };

describe("SpaceManager — interleavings (fast-check scheduler)", () => {
  const operation: fc.Arbitrary<Operation> = fc.oneof(
    fc.constant<Operation>({ kind: "ensureDefault" }),
    fc.constantFrom<Operation>(
      { kind: "detectOrCreate", message: "work on /srv/alpha" },
      { kind: "detectOrCreate", message: "project: Alpha" },
      { kind: "detectOrCreate", message: "project: Beta" },
    ),
    fc.constantFrom<Operation>({ kind: "create", name: "alpha" }, { kind: "create", name: "Gamma" }),
    fc.constantFrom<Operation>({ kind: "rename", name: "BETA" }, { kind: "rename", name: "Delta" }),
    fc.constantFrom<Operation>({ kind: "append", session: "s1" }, { kind: "append", session: "s2" }),
    fc.constantFrom<Operation>({ kind: "activate", session: "s1" }, { kind: "activate", session: "s2" }),
  );

  it("never creates two spaces with one name, never loses a turn, never mixes sessions", async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(operation, { minLength: 1, maxLength: 24 }), async (s, operations) => {
        const publisher = new RecordingPublisher();
        const inner = new InMemorySpaceStore();
        const store = scheduledStore(inner, (value, label) => s.schedule(Promise.resolve(value), label));
        const manager = new SpaceManager({ store, publisher, clock: new ManualClock() });
        const appended: Record<string, string[]> = { s1: [], s2: [] };
        // Only a manual create or rename may meet a taken name; detection and ensureDefault never fail.
        const tolerated = (op: Operation, error: unknown): boolean =>
          (op.kind === "create" || op.kind === "rename") && KernelError.hasCode(error, "SPACE_NAME_TAKEN");
        const runs = operations.map(async (op, index) => {
          try {
            switch (op.kind) {
              case "ensureDefault":
                return void (await manager.ensureDefault());
              case "detectOrCreate":
                return void (await manager.detectOrCreate(op.message));
              case "create":
                return void (await manager.create({ name: op.name }));
              case "rename":
                return void (await manager.update(DEFAULT_SPACE_ID, { name: op.name }));
              case "append": {
                const content = `${op.session}-${index}`;
                appended[op.session]?.push(content);
                return void (await manager.conversations.append(op.session, { role: "user", content }));
              }
              case "activate":
                return void (await manager.activate(DEFAULT_SPACE_ID, op.session));
            }
          } catch (error) {
            if (!tolerated(op, error)) throw error;
          }
        });
        await s.waitFor(Promise.all(runs));

        // Read the inner store directly: the run is over and nothing releases scheduled calls now.
        const spaces = await inner.listSpaces();
        const keys = spaces.map((space) => spaceNameKey(space.name));
        expect(new Set(keys).size).toBe(keys.length);
        expect(publisher.ofType("space.created")).toHaveLength(spaces.length);
        // The default is created lazily; whenever it exists, it exists once.
        expect(spaces.filter((space) => space.id === DEFAULT_SPACE_ID).length).toBeLessThanOrEqual(1);
        const usesCatalogue = operations.some((op) => op.kind !== "append");
        expect(spaces.some((space) => space.id === DEFAULT_SPACE_ID)).toBe(usesCatalogue);
        for (const session of ["s1", "s2"]) {
          const turns = await inner.turns(session);
          expect(turns.map((turn) => turn.content)).toEqual(appended[session]);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("SpaceManager — lock order", () => {
  it("space.conversation nests inside space.create: a space.created listener may append a turn", async () => {
    // `space.created` is published inside the catalogue lock, so work a listener starts runs in
    // a flow that holds `space.create` (rank 100) and takes `space.conversation` (rank 110).
    const bus = new EventBus();
    const manager = new SpaceManager({ store: new InMemorySpaceStore(), publisher: bus, clock: new ManualClock(0) });
    const appends: Array<Promise<unknown>> = [];
    bus.on("space.created", (event) => {
      appends.push(
        manager.conversations.append("session-1", { role: "assistant", content: `welcome to ${event.payload.name}` }),
      );
    });
    await manager.create({ name: "Oxios", paths: ["/work/oxios"] });
    await Promise.all(appends);
    expect(appends).toHaveLength(2);
    expect((await manager.conversations.turns("session-1")).map((turn) => turn.content)).toEqual([
      "welcome to Default",
      "welcome to Oxios",
    ]);
  });
});
