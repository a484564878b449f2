/**
 * One node of the shared rate bucket test, as its own process, stepped by its parent: every
 * line on stdin is a time (the parent's `ManualClock`); the node then takes tasks through
 * `admitNext` at that time as fast as it can, until nothing more may run, and prints the ids
 * it took as one JSON array line. It never finishes a task. Ends with stdin.
 *
 * Arguments: URL NODE LIMITS [MODE] — LIMITS is a JSON object of `admitNext`'s
 * `maxConcurrent`, `profileCaps`, `ratePerMinute` and `rateLimits`; MODE `batch` takes up to
 * seven at a time through `admitBatch`, otherwise one at a time through `admitNext`.
 */

import { createInterface } from "node:readline";
import { openDatabase } from "@oxios/database";
import { type AdmitNextOptions, admitBatch, admitNext } from "../src/libsql/cluster-admission.ts";
import { retryBusy } from "./retry-busy.ts";

const [url = "", node = "", limitsText = "{}", mode = "one"] = process.argv.slice(2);
const limits = JSON.parse(limitsText) as Omit<AdmitNextOptions, "node" | "now" | "leaseMs">;
const database = await openDatabase({ url });
for await (const line of createInterface({ input: process.stdin })) {
  const now = Number(line);
  const taken: string[] = [];
  for (;;) {
    const options = { ...limits, node, now, leaseMs: 600_000_000 };
    const tasks = retryBusy(() =>
      mode === "batch" ? admitBatch(database, { ...options, limit: 7 }) : [admitNext(database, options)],
    ).flatMap((task) => (task === undefined ? [] : [task.id]));
    if (tasks.length === 0) break;
    taken.push(...tasks);
  }
  process.stdout.write(`${JSON.stringify(taken)}\n`);
}
database.close();
