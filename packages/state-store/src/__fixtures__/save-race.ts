// Child process for the two-process test: opens a store on a shared root, says "ready", waits
// for "go" on stdin, then saves one key `count` times (each save awaited, so every one is a
// real write) and exits 0 — or exits 1 with the error if any save failed.
import { createInterface } from "node:readline";
import { StateStore } from "../state-store.ts";

const [root, writer, countText] = process.argv.slice(2);
if (root === undefined || writer === undefined || countText === undefined) {
  throw new Error("usage: save-race <root> <writer> <count>");
}
const count = Number(countText);
const store = await StateStore.open({ root });
// Each writer's bytes differ, so a file torn between two writers does not parse as either.
const pad = writer.repeat(16_384);
const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
for await (const line of lines) if (line === "go") break;
try {
  for (let index = 0; index < count; index++) await store.save("sessions", "shared", { writer, index, pad });
  await store.close();
  process.exit(0);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
}
