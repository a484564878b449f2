// What the access layer costs over the bare driver: point reads by primary key and batched
// inserts, through `Database` (cached statement, array parameters, coded errors, `_metadata`
// stripped) beside a raw libsql prepared statement on the same file, measured round-robin.
// Then what a served database (sqld on 127.0.0.1, started here) costs beside the file: the
// same point reads and a transaction of inserts, each statement an HTTP round trip.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compareOpsPerSecond, writeBenchResults } from "@oxios/tooling/bench";
import { startSqld } from "@oxios/tooling/sqld";
import Libsql from "libsql";
import { openDatabase } from "../src/index.ts";

const directory = mkdtempSync(join(tmpdir(), "oxios-database-bench-"));
const path = join(directory, "bench.db");
const ROWS = 10_000;

const ours = await openDatabase({ url: path });
ours.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB); CREATE TABLE batch (n INTEGER)");
ours.transaction(() => {
  for (let id = 1; id <= ROWS; id++) ours.run("INSERT INTO items (id, name) VALUES (?, ?)", [id, `item ${id}`]);
});
const raw = new Libsql(path);
raw.exec("PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
const rawGet = raw.prepare("SELECT id, name FROM items WHERE id = ?");
const rawInsert = raw.prepare("INSERT INTO batch (n) VALUES (?)");

let sink = 0;
const reads = await compareOpsPerSecond(
  {
    ours: (count) => {
      for (let index = 0; index < count; index++) {
        const row = ours.get<{ id: number }>("SELECT id, name FROM items WHERE id = ?", [(index % ROWS) + 1]);
        sink += row?.id ?? 0;
      }
    },
    raw: (count) => {
      for (let index = 0; index < count; index++) {
        const row = rawGet.get([(index % ROWS) + 1]) as { id: number } | undefined;
        sink += row?.id ?? 0;
      }
    },
  },
  { iterations: 100_000, rounds: 7 },
);

const inserts = await compareOpsPerSecond(
  {
    ours: (count) => {
      ours.transaction(() => {
        for (let index = 0; index < count; index++) ours.run("INSERT INTO batch (n) VALUES (?)", [index]);
      });
    },
    raw: (count) => {
      raw
        .transaction(() => {
          for (let index = 0; index < count; index++) rawInsert.run([index]);
        })
        .immediate();
    },
  },
  { iterations: 20_000, rounds: 7 },
);

const server = await startSqld();
const served = await openDatabase({ url: server.url });
served.exec(
  "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB); CREATE TABLE batch (n INTEGER)",
);
served.transaction(() => {
  for (let id = 1; id <= 1_000; id++) served.run("INSERT INTO items (id, name) VALUES (?, ?)", [id, `item ${id}`]);
});
const servedReads = await compareOpsPerSecond(
  {
    served: (count) => {
      for (let index = 0; index < count; index++) {
        sink += served.get<{ id: number }>("SELECT id, name FROM items WHERE id = ?", [(index % 1_000) + 1])?.id ?? 0;
      }
    },
    file: (count) => {
      for (let index = 0; index < count; index++) {
        sink += ours.get<{ id: number }>("SELECT id, name FROM items WHERE id = ?", [(index % 1_000) + 1])?.id ?? 0;
      }
    },
  },
  { iterations: 500, rounds: 5 },
);
const servedInserts = await compareOpsPerSecond(
  {
    served: (count) => {
      served.transaction(() => {
        for (let index = 0; index < count; index++) served.run("INSERT INTO batch (n) VALUES (?)", [index]);
      });
    },
    file: (count) => {
      ours.transaction(() => {
        for (let index = 0; index < count; index++) ours.run("INSERT INTO batch (n) VALUES (?)", [index]);
      });
    },
  },
  { iterations: 500, rounds: 5 },
);
served.close();
await server.close();

ours.close();
raw.close();
rmSync(directory, { recursive: true, force: true });
if (sink === 0) throw new Error("the reads read nothing");

writeBenchResults(fileURLToPath(new URL("..", import.meta.url)), [
  {
    name: "point read by primary key (10k rows)",
    ours: reads.ours ?? Number.NaN,
    baseline: reads.raw ?? Number.NaN,
    baselineName: "raw libsql prepared statement",
    unit: "reads/s",
    better: "higher",
    goal: { atLeast: 0.8 },
  },
  {
    name: "insert, 20k rows in one transaction",
    ours: inserts.ours ?? Number.NaN,
    baseline: inserts.raw ?? Number.NaN,
    baselineName: "raw libsql prepared statement",
    unit: "rows/s",
    better: "higher",
    goal: { atLeast: 0.8 },
  },
  {
    name: "point read by primary key on sqld (127.0.0.1, HTTP)",
    ours: servedReads.served ?? Number.NaN,
    baseline: servedReads.file ?? Number.NaN,
    baselineName: "the same read on a file",
    unit: "reads/s",
    better: "higher",
    notes: "each statement is one HTTP round trip the process waits for",
  },
  {
    name: "insert, 500 rows in one transaction on sqld (127.0.0.1, HTTP)",
    ours: servedInserts.served ?? Number.NaN,
    baseline: servedInserts.file ?? Number.NaN,
    baselineName: "the same transaction on a file",
    unit: "rows/s",
    better: "higher",
    notes: "each statement is one HTTP round trip the process waits for",
  },
]);
