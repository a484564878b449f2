// A kernel process for the durable-queue crash test: it queues eight tasks on the store at
// argv[2], completes task-0, leaves task-1 and task-2 running forever (2 slots) and the rest
// queued, prints READY once all of that is on disk, and waits to be killed (SIGKILL).
import Database from "libsql";
import { LibsqlTaskStore } from "../src/libsql/libsql-task-store.ts";
import { Scheduler } from "../src/scheduler.ts";

const [url, effectsPath] = process.argv.slice(2) as [string, string];
const effects = new Database(effectsPath);
effects.exec("PRAGMA journal_mode = WAL");
const store = await LibsqlTaskStore.open({ url });
const scheduler = new Scheduler({ store, maxConcurrent: 2, zombieAfterMs: 60_000 });

const runs = Array.from({ length: 8 }, (_, index) =>
  scheduler.run(
    { id: `task-${index}`, idempotencyKey: `key-${index}`, payload: { index } },
    async (_signal, lease) => {
      effects.prepare("INSERT INTO executions (task_id, attempt, pid) VALUES (?, ?, ?)").run([
        lease.taskId,
        lease.attempt,
        process.pid,
      ]);
      if (index !== 0) return new Promise<never>(() => undefined);
      effects.prepare("INSERT OR IGNORE INTO effects (idempotency_key) VALUES (?)").run([lease.idempotencyKey]);
      return "done";
    },
  ),
);
await runs[0];
await store.flush();
process.stdout.write("READY\n");
await Promise.allSettled(runs);
