/**
 * The SpaceStore contract as a vitest suite, run against every adapter in this package
 * (in-memory and libsql): persistence round trips through a "restart" (a new manager over a
 * reopened store), name uniqueness, atomic activation, turn bounds, and the one-space-per-name
 * guarantee under concurrency. Test-only; not part of any entry point.
 */

import { KernelError } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import { describe, expect, it } from "vitest";
import { DEFAULT_SPACE_ID, type Space } from "./space.ts";
import { SpaceManager } from "./space-manager.ts";
import type { SpaceStore } from "./space-store.ts";

export interface StoreHarness {
  store: SpaceStore;
  /** Closes the store (if it holds anything) and opens it again over the same data. */
  reopen(): Promise<SpaceStore>;
  close(): Promise<void>;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(KernelError.hasCode(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}

function sample(id: string, name: string, at: number): Space {
  return {
    id,
    name,
    description: "d",
    paths: ["/srv/x"],
    tags: ["t"],
    emoji: "🧪",
    source: "manual",
    memoryVisible: false,
    createdAt: at,
    updatedAt: at,
    lastActiveAt: at,
  };
}

export function describeSpaceStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`SpaceStore contract: ${name}`, () => {
    it("keeps spaces, links, activations and turns across a restart", async () => {
      const harness = await open();
      try {
        const clock = new ManualClock(Date.UTC(2026, 0, 1));
        const manager = new SpaceManager({ store: harness.store, publisher: new RecordingPublisher(), clock });
        const project = await manager.create({
          name: "Round Trip",
          description: "kept",
          paths: ["/srv/round/", "~/rt"],
          tags: ["#Persist", "trip"],
          emoji: "🔁",
          memoryVisible: false,
        });
        clock.advance(10);
        await manager.update(project.id, { description: "kept twice" });
        await manager.linkMemory(project.id, "m-1");
        await manager.linkMemory(project.id, "m-2");
        clock.advance(10);
        await manager.activate(project.id, "s-1");
        for (let index = 0; index < 3; index++) {
          await manager.conversations.append("s-1", {
            role: index % 2 === 0 ? "user" : "assistant",
            content: `t${index}`,
          });
        }
        await manager.conversations.append("s-2", { role: "user", content: "other session" });
        const before = await manager.list();

        const reopened = await harness.reopen();
        const after = new SpaceManager({ store: reopened, publisher: new RecordingPublisher(), clock });
        expect(await after.list()).toEqual(before);
        const read = await after.get(project.id);
        expect(read).toEqual({
          id: project.id,
          name: "Round Trip",
          description: "kept twice",
          paths: ["/srv/round", "~/rt"],
          tags: ["persist", "trip"],
          emoji: "🔁",
          source: "manual",
          memoryVisible: false,
          createdAt: project.createdAt,
          updatedAt: project.createdAt + 10,
          lastActiveAt: project.createdAt + 20,
        });
        expect(await after.linkedMemories(project.id)).toEqual(["m-1", "m-2"]);
        expect((await after.activeSpace("s-1")).id).toBe(project.id);
        expect((await after.activeSpace("s-2")).id).toBe(DEFAULT_SPACE_ID);
        expect((await after.conversations.turns("s-1")).map((turn) => turn.content)).toEqual(["t0", "t1", "t2"]);
        expect((await after.conversations.turns("s-2")).map((turn) => turn.content)).toEqual(["other session"]);
        // The default space was created once, before the restart, and not again after it.
        expect(before.filter((space) => space.id === DEFAULT_SPACE_ID)).toHaveLength(1);
      } finally {
        await harness.close();
      }
    });

    it("refuses duplicate names case-insensitively and writes nothing", async () => {
      const harness = await open();
      try {
        const { store } = harness;
        await store.insertSpace(sample("a", "Alpha", 1));
        await expectCode(store.insertSpace(sample("b", "ALPHA", 2)), "SPACE_NAME_TAKEN");
        await expectCode(store.insertSpace(sample("a", "Other", 2)), "SPACE_ID_TAKEN");
        await store.insertSpace(sample("c", "Gamma", 3));
        await expectCode(store.updateSpace({ ...sample("c", "alpha", 3) }), "SPACE_NAME_TAKEN");
        expect((await store.listSpaces()).map((space) => space.name).sort()).toEqual(["Alpha", "Gamma"]);
        expect(await store.updateSpace(sample("zzz", "Nobody", 1))).toBe(false);
      } finally {
        await harness.close();
      }
    });

    it("touches forward only, keeps createdAt and lastActiveAt through updates", async () => {
      const harness = await open();
      try {
        const { store } = harness;
        await store.insertSpace(sample("a", "Alpha", 100));
        expect((await store.touchSpace("a", 200))?.lastActiveAt).toBe(200);
        expect((await store.touchSpace("a", 150))?.lastActiveAt).toBe(200);
        expect(await store.touchSpace("missing", 1)).toBeUndefined();
        await store.updateSpace({ ...sample("a", "Alpha", 100), createdAt: 5, lastActiveAt: 6, updatedAt: 300 });
        const read = await store.getSpace("a");
        expect([read?.createdAt, read?.lastActiveAt, read?.updatedAt]).toEqual([100, 200, 300]);
      } finally {
        await harness.close();
      }
    });

    it("activates only existing spaces and drops links and activations with the space", async () => {
      const harness = await open();
      try {
        const { store } = harness;
        await store.insertSpace(sample("a", "Alpha", 1));
        expect(await store.setActiveSpace("s", "missing", 1)).toBe(false);
        expect(await store.activeSpaceId("s")).toBeUndefined();
        expect(await store.setActiveSpace("s", "a", 1)).toBe(true);
        expect(await store.linkMemory("a", "m", 1)).toBe(true);
        expect(await store.linkMemory("a", "m", 2)).toBe(false);
        expect(await store.linkMemory("missing", "m", 1)).toBe(false);
        expect(await store.deleteSpace("a")).toBe(true);
        expect(await store.deleteSpace("a")).toBe(false);
        expect(await store.activeSpaceId("s")).toBeUndefined();
        expect(await store.linkedMemories("a")).toEqual([]);
      } finally {
        await harness.close();
      }
    });

    it("keeps the newest turns per session and forgets a session whole", async () => {
      const harness = await open();
      try {
        const { store } = harness;
        for (let index = 0; index < 5; index++) {
          await store.appendTurn("s", { role: "user", content: `${index}`, at: index }, 3);
        }
        await store.appendTurn("t", { role: "assistant", content: "x", at: 1 }, 3);
        expect((await store.turns("s")).map((turn) => turn.content)).toEqual(["2", "3", "4"]);
        expect(await store.turns("t")).toEqual([{ role: "assistant", content: "x", at: 1 }]);
        await store.insertSpace(sample("a", "Alpha", 1));
        await store.setActiveSpace("s", "a", 1);
        await store.forgetSession("s");
        expect(await store.turns("s")).toEqual([]);
        expect(await store.activeSpaceId("s")).toBeUndefined();
        expect(await store.clearTurns("t")).toBe(true);
        expect(await store.clearTurns("t")).toBe(false);
      } finally {
        await harness.close();
      }
    });

    it("lists sessions with their space, turns and last activity, most recent first", async () => {
      const harness = await open();
      try {
        const { store } = harness;
        await store.insertSpace(sample("a", "Alpha", 1));
        await store.appendTurn("old", { role: "user", content: "hi", at: 10 }, 50);
        await store.appendTurn("new", { role: "user", content: "one", at: 20 }, 50);
        await store.appendTurn("new", { role: "assistant", content: "two", at: 30 }, 50);
        await store.setActiveSpace("new", "a", 25);
        await store.setActiveSpace("idle", "a", 40);
        expect(await store.sessions({ limit: 10 })).toEqual([
          { sessionId: "idle", spaceId: "a", turns: 0, lastActivityAt: 40 },
          { sessionId: "new", spaceId: "a", turns: 2, lastActivityAt: 30 },
          { sessionId: "old", turns: 1, lastActivityAt: 10 },
        ]);
        expect((await store.sessions({ limit: 1 })).map((session) => session.sessionId)).toEqual(["idle"]);
        await store.forgetSession("new");
        expect((await store.sessions({ limit: 10 })).map((session) => session.sessionId)).toEqual(["idle", "old"]);
      } finally {
        await harness.close();
      }
    });

    it("creates exactly one space for 100 concurrent ensureDefault and detectOrCreate calls", async () => {
      const harness = await open();
      try {
        const publisher = new RecordingPublisher();
        const manager = new SpaceManager({ store: harness.store, publisher });
        const results = await Promise.all([
          ...Array.from({ length: 100 }, () => manager.ensureDefault()),
          ...Array.from({ length: 100 }, (_, index) =>
            manager.detectOrCreate(index % 2 === 0 ? "work on /srv/alpha" : "look at /srv/alpha/docs/"),
          ),
        ]);
        const defaults = new Set(results.slice(0, 100).map((space) => (space as Space).id));
        const alphas = new Set(results.slice(100).map((resolution) => (resolution as { space: Space }).space.id));
        expect(defaults).toEqual(new Set([DEFAULT_SPACE_ID]));
        expect(alphas.size).toBe(1);
        expect((await manager.list()).map((space) => space.name)).toEqual(["Default", "alpha"]);
        expect(publisher.ofType("space.created")).toHaveLength(2);
      } finally {
        await harness.close();
      }
    });
  });
}
