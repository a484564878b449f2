/**
 * One node of the admission stress tests, as its own process: takes tasks through `admitNext`
 * until the queue is empty, holding up to `hold` at once, and finishes each. Prints one JSON
 * line: `{ node, admitted, refused }` (refused: nothing could be admitted while tasks were queued).
 *
 * Arguments: URL NODE MAX_CONCURRENT HOLD [LIMITS] [MODE] — LIMITS is a JSON object of
 * `admitNext`'s `profileCaps`, `ratePerMinute` and `rateLimits`; MODE `batch` takes as many as
 * it may still hold at once through `admitBatch`, otherwise one at a time through `admitNext`.
 */

import { openDatabase } from "@oxios/database";
import { type AdmitNextOptions, admitBatch, admitNext, finishAdmitted } from "../src/libsql/cluster-admission.ts";
import { retryBusy } from "./retry-busy.ts";

const [url = "", node = "", cap = "1", holdText = "1", limitsText = "{}", mode = "one"] = process.argv.slice(2);
const maxConcurrent = Number(cap);
const hold = Number(holdText);
const limits = JSON.parse(limitsText) as Pick<AdmitNextOptions, "profileCaps" | "ratePerMinute" | "rateLimits">;
const database = await openDatabase({ url });
const held: string[] = [];
let admitted = 0;
let refused = 0;
const admit = (): string[] => {
  const options = { ...limits, node, maxConcurrent, now: Date.now(), leaseMs: 600_000 };
  if (mode === "batch") return admitBatch(database, { ...options, limit: hold - held.length }).map((task) => task.id);
  const task = admitNext(database, options);
  return task === undefined ? [] : [task.id];
};
for (;;) {
  const tasks = held.length < hold ? retryBusy(admit) : [];
  if (tasks.length > 0) {
    held.push(...tasks);
    admitted += tasks.length;
    continue;
  }
  const oldest = held.shift();
  if (oldest !== undefined) {
    if (!retryBusy(() => finishAdmitted(database, oldest, node, "completed", Date.now()))) throw new Error(`lost the lease of ${oldest}`);
    continue;
  }
  const queued = database.get<{ n: number }>("SELECT count(*) AS n FROM scheduler_tasks WHERE status = 'queued'");
  if ((queued?.n ?? 0) === 0) break;
  refused++;
}
database.close();
process.stdout.write(`${JSON.stringify({ node, admitted, refused })}\n`);
