/**
 * One node of the shared rate bucket test, as its own process, stepped by its parent: every
 * line on stdin is a time (the parent's `ManualClock`); the node then takes tasks through
 * `admitNext` at that time as fast as it can, until nothing more may run, and prints the ids
 * it took as one JSON array line. It never finishes a task. Ends with stdin.
 *
 * Arguments: URL NODE LIMITS — LIMITS is a JSON object of `admitNext`'s `maxConcurrent`,
 * `profileCaps`, `ratePerMinute` and `rateLimits`.
 */

import { createInterface } from "node:readline";
import { openDatabase } from "@oxios/database";
import { type AdmitNextOptions, admitNext } from "../src/libsql/cluster-admission.ts";
import { retryBusy } from "./retry-busy.ts";

const [url = "", node = "", limitsText = "{}"] = process.argv.slice(2);
const limits = JSON.parse(limitsText) as Omit<AdmitNextOptions, "node" | "now" | "leaseMs">;
const database = await openDatabase({ url });
for await (const line of createInterface({ input: process.stdin })) {
  const now = Number(line);
  const taken: string[] = [];
  for (;;) {
    const task = retryBusy(() => admitNext(database, { ...limits, node, now, leaseMs: 600_000_000 }));
    if (task === undefined) break;
    taken.push(task.id);
  }
  process.stdout.write(`${JSON.stringify(taken)}\n`);
}
database.close();
