import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@oxios/core/testing";
import { MemoryStore } from "@oxios/memory";
import { HashingEmbedder } from "@oxios/memory/testing";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStoreToolPort } from "./memory-adapters.ts";

let dir: string | undefined;
let store: MemoryStore | undefined;

afterEach(async () => {
  await store?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  store = undefined;
  dir = undefined;
});

describe("MemoryStoreToolPort.search", () => {
  it("leaves run episodes out unless the episode type is asked for", async () => {
    dir = mkdtempSync(join(tmpdir(), "oxios-memory-port-"));
    store = await MemoryStore.open({
      url: join(dir, "memory.db"),
      embedder: new HashingEmbedder(),
      clock: new ManualClock(),
    });
    const port = new MemoryStoreToolPort(store);
    await store.remember({ content: "Task: name the cat. The cat is called Mia.", type: "episode", source: "run" });
    await port.remember({ content: "the cat is called Mia", type: "fact", agentId: "a", tags: [], importance: 0.5 });
    const plain = await port.search({ query: "cat called Mia", limit: 10 });
    expect(plain.map((hit) => hit.type)).toEqual(["fact"]);
    const episodes = await port.search({ query: "cat called Mia", type: "episode", limit: 10 });
    expect(episodes.map((hit) => hit.content)).toEqual(["Task: name the cat. The cat is called Mia."]);
  });
});
