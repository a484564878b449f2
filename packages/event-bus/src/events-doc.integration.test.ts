import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { kernelEventTypes } from "./validate-event.ts";

describe("docs/events.md", () => {
  it("lists every event type, and no other", () => {
    const text = readFileSync(resolve(import.meta.dirname, "..", "..", "..", "docs", "events.md"), "utf8");
    const documented = [...text.matchAll(/^\|\s*`([a-z.-]+)`\s*\|/gm)].map((match) => match[1]);
    expect([...documented].sort()).toEqual([...kernelEventTypes].sort());
  });
});
