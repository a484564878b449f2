import { openDatabase } from "@oxios/database";
import { startSqld } from "@oxios/tooling/sqld";
import { LibsqlTaskStore } from "../src/libsql/index.ts";
const server = await startSqld();
const url = server.url;
await (await LibsqlTaskStore.open({ url })).close();
const db = await openDatabase({ url });
db.transaction(() => { for (let i = 0; i < 200; i++) db.run(`INSERT INTO scheduler_tasks (id, priority, rate_key, created_at, enqueued_at, status) VALUES (?, 'normal', 'k', ?, ?, 'queued')`, [`t${i}`, i, i]); });
const mod = await import(process.argv[2] as string);
for (const row of db.all("EXPLAIN QUERY PLAN SELECT 1", [])) {}
for (let i = 0; i < 5; i++) { const t = performance.now(); const r = mod.admitNext(db, { node: "n", maxConcurrent: 3, now: Date.now(), leaseMs: 600000 }); console.log(r?.id, (performance.now() - t).toFixed(1), "ms"); }
db.close(); await server.close();
