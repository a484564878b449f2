// Any sequence of remember / forget / update / restart / crash (abandoned without close) /
// dream / re-embed leaves the vector index in step with the table: the code table matches the
// vectors, the store counts every vector once, and a vector search returns exactly what an exact
// search over the table returns.
import fc from "fast-check";
import { afterEach, it } from "vitest";
import { HashingEmbedder } from "./hashing-embedder.ts";
import { MemoryStore } from "./memory-store.ts";
import { expectIndexConsistent, removeTempDatabases, tempDatabase } from "./test-support.ts";

const TEXTS = [
  "the deploy key lives in the ops vault",
  "deploy keys live in the vault of the ops team",
  "the build runs on two cores",
  "builds run on a machine with two cores",
  "coffee is brewed at seven every morning",
  "tabs are preferred over spaces for indentation",
  "indentation uses tabs rather than spaces",
  "the release freeze is the last week of december",
  "december ends with a release freeze",
  "memory search fuses keyword and vector ranks",
  "the kernel journals every tool call",
  "every tool call is journalled by the kernel",
];
const QUERIES = ["where is the deploy key", "how many cores does the build use", "release freeze in december"];
const EMBEDDERS = [new HashingEmbedder({ dimensions: 512 }), new HashingEmbedder({ dimensions: 256 })];
const CAPS = { hot: { count: 50, tokens: 3_000 }, warm: { count: 500 }, cold: { count: 10_000 } };

type Operation =
  | { kind: "remember"; text: number; salt: number }
  | { kind: "forget"; pick: number }
  | { kind: "update"; pick: number; text: number }
  | { kind: "restart" }
  | { kind: "crash" }
  | { kind: "dream" }
  | { kind: "reembed" };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("remember" as const), text: fc.nat(TEXTS.length - 1), salt: fc.nat(3) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("forget" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("update" as const), pick: fc.nat(), text: fc.nat(TEXTS.length - 1) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "crash" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "dream" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reembed" as const }) },
);

afterEach(() => {
  removeTempDatabases();
});

it("vector search equals exact search over the table after any sequence of writes, restarts, crashes, dreams and re-embeds", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 14 }), async (operations) => {
      const path = tempDatabase();
      let model = 0;
      const openStore = (): Promise<MemoryStore> =>
        MemoryStore.open({ url: `file:${path}`, embedder: EMBEDDERS[model] as HashingEmbedder, tierCaps: CAPS });
      const abandoned: MemoryStore[] = [];
      let store = await openStore();
      try {
        for (const op of operations) {
          const live = await store.list({ limit: 1_000 });
          if (op.kind === "remember") {
            await store.remember({ content: `${TEXTS[op.text]} ${"again ".repeat(op.salt)}`, type: "fact" });
          } else if (op.kind === "forget" && live.length > 0) {
            await store.forget((live[op.pick % live.length] as { id: string }).id);
          } else if (op.kind === "update" && live.length > 0) {
            await store.update((live[op.pick % live.length] as { id: string }).id, {
              content: TEXTS[op.text] as string,
            });
          } else if (op.kind === "restart") {
            await store.close();
            store = await openStore();
          } else if (op.kind === "crash") {
            abandoned.push(store);
            store = await openStore();
          } else if (op.kind === "dream") {
            await store.dream();
          } else if (op.kind === "reembed") {
            await store.close();
            model = 1 - model;
            store = await openStore();
            await store.reembedIdle();
          }
        }
        await expectIndexConsistent(store, path, EMBEDDERS[model] as HashingEmbedder, QUERIES);
      } finally {
        await store.close();
        for (const old of abandoned) await old.close();
      }
    }),
    { numRuns: 25 },
  );
});
