// Child process for the crash test: appends to a libsql audit file in a loop (bursts of
// concurrent appends, so group commit is exercised) and prints each acknowledged seq on
// stdout as its append resolves. The parent kills it with SIGKILL at some point.
import { AuditTrail } from "../../src/audit/audit-trail.ts";
import { LibsqlAuditStore } from "../../src/libsql/libsql-audit-store.ts";

const path = process.argv[2];
if (path === undefined) throw new Error("usage: crash-appender.ts <db path>");
const trail = await AuditTrail.open({ store: await LibsqlAuditStore.open({ url: `file:${path}` }) });
process.stdout.write("ready\n");
for (let round = 0; ; round++) {
  await Promise.all(
    Array.from({ length: 1 + (round % 8) }, (_, index) =>
      trail.append({ actor: `writer${index}`, action: "crash.test", details: { round, index } }).then((entry) => {
        process.stdout.write(`${entry.seq} ${entry.hash}\n`);
      }),
    ),
  );
}
