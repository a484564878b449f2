import { describe, expect, it } from "vitest";
import { idTimestamp, isId, newId } from "./ids.ts";

describe("newId", () => {
  it("is a UUIDv7 whose timestamp is the creation time", () => {
    const id = newId(1_780_000_000_123);
    expect(isId(id)).toBe(true);
    expect(id[14]).toBe("7");
    expect(["8", "9", "a", "b"]).toContain(id[19]);
    expect(idTimestamp(id)).toBeGreaterThanOrEqual(1_780_000_000_123);
  });

  it("sorts as strings in creation order, even within one millisecond", () => {
    const ids = Array.from({ length: 20_000 }, () => newId(1_790_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it("stays ordered when the wall clock steps backwards", () => {
    const first = newId(1_800_000_000_500);
    const second = newId(1_800_000_000_100);
    expect(second > first).toBe(true);
  });
});
