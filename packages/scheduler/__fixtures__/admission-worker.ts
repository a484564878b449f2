/**
 * One node of the admission stress tests, as its own process: takes tasks through `admitNext`
 * until the queue is empty, holding up to `hold` at once, and finishes each. Prints one JSON
 * line: `{ node, admitted, refused }` (refused: nothing could be admitted while tasks were queued).
 *
 * Arguments: URL NODE MAX_CONCURRENT HOLD [LIMITS] — LIMITS is a JSON object of `admitNext`'s
 * `profileCaps`, `ratePerMinute` and `rateLimits`.
 */

import { openDatabase } from "@oxios/database";
import { type AdmitNextOptions, admitNext, finishAdmitted } from "../src/libsql/cluster-admission.ts";
import { retryBusy } from "./retry-busy.ts";

const [url = "", node = "", cap = "1", holdText = "1", limitsText = "{}"] = process.argv.slice(2);
const maxConcurrent = Number(cap);
const hold = Number(holdText);
const limits = JSON.parse(limitsText) as Pick<AdmitNextOptions, "profileCaps" | "ratePerMinute" | "rateLimits">;
const database = await openDatabase({ url });
const held: string[] = [];
let admitted = 0;
let refused = 0;
for (;;) {
  const task =
    held.length < hold
      ? retryBusy(() => admitNext(database, { ...limits, node, maxConcurrent, now: Date.now(), leaseMs: 600_000 }))
      : undefined;
  if (task !== undefined) {
    held.push(task.id);
    admitted++;
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
