// Child process for the crash test: appends to a libsql audit file in a loop (bursts of
// concurrent appends, so group commit is exercised) and prints each acknowledged seq on
// stdout as its append resolves. The parent kills it with SIGKILL at some point. Wired as the
// kernel wires its trail: one event-loop turn of gathering and Node's native SHA-256, and
// each burst's appends made over several turns, so a batch spans turns when the kill lands.
import { createHash } from "node:crypto";
import { AuditTrail } from "../../src/audit/audit-trail.ts";
import { LibsqlAuditStore } from "../../src/libsql/libsql-audit-store.ts";

const path = process.argv[2];
if (path === undefined) throw new Error("usage: crash-appender.ts <db path>");
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const trail = await AuditTrail.open({
  store: await LibsqlAuditStore.open({ url: `file:${path}` }),
  gather: nextTurn,
  sha256: (text) => createHash("sha256").update(text).digest("hex"),
});
process.stdout.write("ready\n");
for (let round = 0; ; round++) {
  await Promise.all(
    Array.from({ length: 1 + (round % 8) }, async (_, index) => {
      for (let turn = 0; turn < index % 3; turn++) await nextTurn();
      const entry = await trail.append({ actor: `writer${index}`, action: "crash.test", details: { round, index } });
      process.stdout.write(`${entry.seq} ${entry.hash}\n`);
    }),
  );
}
