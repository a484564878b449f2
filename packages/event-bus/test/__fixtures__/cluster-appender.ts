// Child process for the shared-chain test: one kernel node's audit trail on a served database
// (sqld). Appends `rounds` bursts of concurrent appends (so each node groups them into
// transactions of its own), then prints how many it appended and how many failed. It prints
// "ready" once its trail is open and starts on a line from stdin, so the nodes run together.
import { AuditTrail } from "../../src/audit/audit-trail.ts";
import { LibsqlAuditStore } from "../../src/libsql/libsql-audit-store.ts";

const [url, node, rounds] = process.argv.slice(2);
if (url === undefined || node === undefined || rounds === undefined) {
  throw new Error("usage: cluster-appender.ts <database url> <node> <rounds>");
}
const trail = await AuditTrail.open({ store: await LibsqlAuditStore.open({ url }) });
process.stdout.write("ready\n");
for await (const _line of process.stdin) break;
let appended = 0;
let failed = 0;
for (let round = 0; round < Number(rounds); round++) {
  const results = await Promise.allSettled(
    Array.from({ length: 1 + (round % 5) }, (_, index) =>
      trail.append({ actor: node, action: "cluster.test", details: { round, index } }),
    ),
  );
  for (const result of results) {
    if (result.status === "fulfilled") appended++;
    else failed++;
  }
}
await trail.close();
process.stdout.write(`${JSON.stringify({ node, appended, failed })}\n`);
