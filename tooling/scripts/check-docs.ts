// Keeps docs/lock-ordering.md and KERNEL_LOCK_RANKS saying the same thing.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { KERNEL_LOCK_RANKS } from "../../packages/core/src/lock-ranks.ts";

const root = resolve(import.meta.dirname, "..", "..");
const text = readFileSync(resolve(root, "docs", "lock-ordering.md"), "utf8");
const documented = new Map<string, number>();
for (const match of text.matchAll(/^\|\s*`([a-z0-9.-]+)`\s*\|\s*(\d+)\s*\|/gm)) {
  documented.set(match[1] as string, Number(match[2]));
}
const problems: string[] = [];
for (const [name, rank] of Object.entries(KERNEL_LOCK_RANKS)) {
  if (!documented.has(name)) problems.push(`${name} (rank ${rank}) is missing from docs/lock-ordering.md`);
  else if (documented.get(name) !== rank) problems.push(`${name}: code says ${rank}, docs say ${documented.get(name)}`);
}
for (const name of documented.keys()) {
  if (!(name in KERNEL_LOCK_RANKS)) problems.push(`docs/lock-ordering.md lists ${name}, which KERNEL_LOCK_RANKS lacks`);
}
if (problems.length > 0) {
  console.error(`lock docs out of step:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`lock docs match KERNEL_LOCK_RANKS (${documented.size} locks)`);
