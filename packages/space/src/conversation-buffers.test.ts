import { KernelError, SecretRedactor } from "@oxios/core";
import { ManualClock } from "@oxios/core/testing";
import { describe, expect, it } from "vitest";
import { ConversationBuffers, DEFAULT_MAX_TURNS, estimateTurnTokens, turnsToKeep } from "./conversation-buffers.ts";
import { InMemorySpaceStore } from "./in-memory-space-store.ts";
import type { ConversationTurn } from "./space-store.ts";

function buffers(options: { maxTurns?: number; tokenBudget?: number } = {}) {
  const store = new InMemorySpaceStore();
  const clock = new ManualClock(1000);
  return { store, clock, buffers: new ConversationBuffers({ store, clock, ...options }) };
}

const contents = (turns: ConversationTurn[]): string[] => turns.map((turn) => turn.content);

describe("ConversationBuffers", () => {
  it("keeps the newest 50 turns by default, oldest first", async () => {
    const { buffers: b } = buffers();
    expect(b.maxTurns).toBe(DEFAULT_MAX_TURNS);
    for (let index = 0; index < 60; index++) await b.append("s", { role: "user", content: `${index}` });
    const turns = await b.turns("s");
    expect(turns).toHaveLength(50);
    expect(turns[0]?.content).toBe("10");
    expect(turns.at(-1)?.content).toBe("59");
  });

  it("stores a turn with known secrets redacted", async () => {
    const store = new InMemorySpaceStore();
    const token = "oxt_buffer-secret-123";
    const b = new ConversationBuffers({ store, redactor: new SecretRedactor([{ label: "api-token", value: token }]) });
    const turn = await b.append("s", { role: "assistant", content: `the token is ${token}` });
    expect(turn.content).toBe("the token is [redacted:api-token]");
    expect(JSON.stringify(await store.turns("s"))).not.toContain(token);
  });

  it("never shares turns between sessions", async () => {
    const { buffers: b } = buffers({ maxTurns: 3 });
    await b.append("alice", { role: "user", content: "alice secret" });
    await b.append("bob", { role: "user", content: "bob hello" });
    expect(contents(await b.turns("alice"))).toEqual(["alice secret"]);
    expect(contents(await b.turns("bob"))).toEqual(["bob hello"]);
    expect(await b.turns("carol")).toEqual([]);
    await b.clear("alice");
    expect(await b.turns("alice")).toEqual([]);
    expect(contents(await b.turns("bob"))).toEqual(["bob hello"]);
  });

  it("stamps turns with the clock unless given a time", async () => {
    const { buffers: b, clock } = buffers();
    clock.advance(500);
    expect(await b.append("s", { role: "assistant", content: "a" })).toEqual({
      role: "assistant",
      content: "a",
      at: 1500,
    });
    expect((await b.append("s", { role: "tool", content: "b", at: 7 })).at).toBe(7);
  });

  it("serializes concurrent appends per session: none lost, bound kept, call order kept", async () => {
    const { buffers: b } = buffers({ maxTurns: 20 });
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        b.append(index % 2 === 0 ? "even" : "odd", { role: "user", content: `${index}` }),
      ),
    );
    const expected = (parity: number) => Array.from({ length: 100 }, (_, index) => `${index * 2 + parity}`).slice(-20);
    expect(contents(await b.turns("even"))).toEqual(expected(0));
    expect(contents(await b.turns("odd"))).toEqual(expected(1));
  });

  it("trims to a token budget but always keeps the newest turn", async () => {
    // Each 16-character turn is estimated at 16/4 + 4 = 8 tokens.
    const { buffers: b } = buffers({ tokenBudget: 20 });
    for (const word of ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc"]) {
      await b.append("s", { role: "user", content: word });
    }
    expect(contents(await b.turns("s"))).toEqual(["bbbbbbbbbbbbbbbb", "cccccccccccccccc"]);
    await b.append("s", { role: "user", content: "z".repeat(400) });
    expect(contents(await b.turns("s"))).toEqual(["z".repeat(400)]);
  });

  it("applies a smaller bound to turns stored under a larger one", async () => {
    const store = new InMemorySpaceStore();
    const wide = new ConversationBuffers({ store, maxTurns: 10 });
    for (let index = 0; index < 10; index++) await wide.append("s", { role: "user", content: `${index}` });
    const narrow = new ConversationBuffers({ store, maxTurns: 4 });
    expect(contents(await narrow.turns("s"))).toEqual(["6", "7", "8", "9"]);
    await narrow.append("s", { role: "user", content: "10" });
    expect(contents(await store.turns("s"))).toEqual(["7", "8", "9", "10"]);
  });

  it("estimates tokens as a quarter of the characters plus four", () => {
    expect(estimateTurnTokens({ role: "user", content: "", at: 0 })).toBe(4);
    expect(estimateTurnTokens({ role: "user", content: "abcde", at: 0 })).toBe(6);
    const turn = (content: string): ConversationTurn => ({ role: "user", content, at: 0 });
    const bound = { maxTurns: 5, tokenBudget: 10, estimateTokens: () => 4 };
    expect(turnsToKeep([turn("a"), turn("b"), turn("c")], bound)).toBe(2);
    expect(turnsToKeep([], bound)).toBe(0);
  });

  it("rejects bad input with SPACE_INPUT_INVALID", async () => {
    const { buffers: b } = buffers();
    const code = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: unknown) => (KernelError.isInstance(error) ? error.code : String(error)),
      );
    expect(await code(b.append("", { role: "user", content: "x" }))).toBe("SPACE_INPUT_INVALID");
    expect(await code(b.append("s", { role: "robot" as "user", content: "x" }))).toBe("SPACE_INPUT_INVALID");
    expect(await code(b.append("s", { role: "user", content: 5 as unknown as string }))).toBe("SPACE_INPUT_INVALID");
    expect(await code(b.append("s", { role: "user", content: "x", at: Number.NaN }))).toBe("SPACE_INPUT_INVALID");
    expect(() => new ConversationBuffers({ store: new InMemorySpaceStore(), maxTurns: 0 })).toThrow(
      expect.objectContaining({ code: "SPACE_INPUT_INVALID" }),
    );
    expect(() => new ConversationBuffers({ store: new InMemorySpaceStore(), tokenBudget: 1.5 })).toThrow(
      expect.objectContaining({ code: "SPACE_INPUT_INVALID" }),
    );
    expect(await b.turns("s")).toEqual([]);
  });
});
