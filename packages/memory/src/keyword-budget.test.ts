import { afterEach, describe, expect, it } from "vitest";
import { termsWithinBudget } from "./internal/fts-query.ts";
import type { RememberInput } from "./memory-entry.ts";
import { openTestStore, removeTempDatabases, type TestStore } from "./test-support.ts";

const open: TestStore[] = [];

afterEach(async () => {
  for (const test of open.splice(0)) await test.store.close();
  removeTempDatabases();
});

/**
 * 300 memories: 100 say "common" ten times in a short text (BM25's favourites for that word),
 * 100 say "usual", 25 hold "rare" once in their tags behind 40 filler words (weak matches), the
 * rest say neither. Without a row budget (the default), "common rare" ranks the "common" memories first.
 */
function corpus(): RememberInput[] {
  const filler = (serial: number, count: number): string =>
    Array.from({ length: count }, (_, index) => `f${serial}x${index}`).join(" ");
  return Array.from({ length: 300 }, (_, serial): RememberInput => {
    if (serial < 100) return { content: `${"common ".repeat(10)}c${serial}`, type: "episode" };
    if (serial < 200) return { content: `usual note u${serial}`, type: "fact" };
    if (serial < 225) return { content: filler(serial, 40), tags: ["rare"], type: "fact" };
    return { content: `other note o${serial}`, type: "fact" };
  });
}

async function storeWith(keywordRowBudget?: number): Promise<TestStore> {
  const test = await openTestStore(keywordRowBudget === undefined ? {} : { keywordRowBudget });
  open.push(test);
  await test.store.importEntries(corpus());
  return test;
}

const words = (content: string, tags: readonly string[]): Set<string> => new Set([...content.split(" "), ...tags]);

describe("keyword row budget", () => {
  it("leaves a word held by many memories out of the match and keeps the rare one", async () => {
    const { store: uncut } = await storeWith();
    const before = await uncut.search("common rare", { mode: "keyword", limit: 10 });
    expect(before.every((hit) => words(hit.entry.content, hit.entry.tags).has("common"))).toBe(true);

    // 125 rows for both words is over a budget of 110: "common" (100 rows) goes, "rare" (25) stays.
    const { store } = await storeWith(110);
    const hits = await store.search("common rare", { mode: "keyword", limit: 10 });
    expect(hits).toHaveLength(10);
    expect(hits.every((hit) => hit.entry.tags.includes("rare"))).toBe(true);
  });

  it("answers a query of common words only with its rarest word", async () => {
    const { store } = await storeWith(50);
    const hits = await store.search("common usual", { mode: "keyword", limit: 10 });
    expect(hits).toHaveLength(10);
    // Both words are in 100 memories; the first of the query is kept.
    expect(hits.every((hit) => hit.entry.content.startsWith("common"))).toBe(true);
  });

  it("matches every word again when a filter leaves the rare word's memories out", async () => {
    const { store } = await storeWith(110);
    // The "rare" memories are facts: among episodes only "common" finds anything.
    const hits = await store.search("common rare", { mode: "keyword", limit: 10, types: ["episode"] });
    expect(hits).toHaveLength(10);
    expect(hits.every((hit) => hit.entry.type === "episode")).toBe(true);
  });

  it("behaves as before when the words' rows fit the budget", async () => {
    const { store: uncut } = await storeWith();
    const { store } = await storeWith(125);
    // "common rare" matches 125 rows: exactly the budget, so nothing is left out.
    const found = async (test: typeof store): Promise<Array<[string, number | undefined]>> =>
      (await test.search("common rare", { mode: "keyword", limit: 100 })).map((hit) => [
        hit.entry.content,
        hit.keywordRank,
      ]);
    const expected = await found(uncut);
    expect(expected).toHaveLength(100);
    expect(await found(store)).toEqual(expected);
  });
});

describe("keywordRowBudget setting", () => {
  it("refuses a budget that is not an integer ≥ 1 with MEMORY_CONFIG_INVALID", async () => {
    for (const keywordRowBudget of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "100" as unknown as number]) {
      await expect(openTestStore({ keywordRowBudget })).rejects.toMatchObject({ code: "MEMORY_CONFIG_INVALID" });
    }
  });
});

describe("termsWithinBudget", () => {
  const documents = new Map([
    ["often", 900],
    ["sometimes", 300],
    ["seldom", 40],
    ["once", 1],
  ]);

  it("returns the terms as they are when their rows fit", () => {
    const terms = ["often", "seldom"];
    expect(termsWithinBudget(terms, documents, 940)).toBe(terms);
  });

  it("keeps the rarest terms that fit, in the query's order", () => {
    expect(termsWithinBudget(["often", "once", "sometimes", "seldom"], documents, 400)).toEqual([
      "once",
      "sometimes",
      "seldom",
    ]);
    expect(termsWithinBudget(["often", "once", "sometimes", "seldom"], documents, 100)).toEqual(["once", "seldom"]);
  });

  it("always keeps the rarest term, even over the budget", () => {
    expect(termsWithinBudget(["often", "sometimes"], documents, 10)).toEqual(["sometimes"]);
  });

  it("keeps a term no memory holds, which costs no rows, and still the rarest found", () => {
    expect(termsWithinBudget(["unknown", "often", "sometimes"], documents, 10)).toEqual(["unknown", "sometimes"]);
  });
});
