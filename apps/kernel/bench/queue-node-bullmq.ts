// One worker process of the cluster bench's baseline: BullMQ 6 on the redis-server the bench
// started. Each process is a producer and a worker, like a node of ours: on go it adds its
// share of the no-op jobs (`addBulk` in chunks of SUBMIT_CHUNK, BullMQ's counterpart of our
// group commit), and its `Worker` (local concurrency = the global one) takes jobs from the shared
// queue, whose global concurrency (`setGlobalConcurrency`, set by the bench) caps all workers
// together. A job's processor returns at once; a completion is counted on the worker's
// `completed` event, which fires once the job is moved to completed in Redis.
// argv: port, queue name, jobs to add, concurrency.
import { Queue, Worker } from "bullmq";
import { SUBMIT_CHUNK as CHUNK, completionReporter, fail, onBench, type QueueWorkerMessage } from "./queue-protocol.ts";

const [portText, name, jobsText, concurrencyText] = process.argv.slice(2) as [string, string, string, string];
const connection = { host: "127.0.0.1", port: Number(portText), maxRetriesPerRequest: null };
const jobs = Number(jobsText);

const queue = new Queue(name, { connection });
const worker = new Worker(name, async () => undefined, { connection, concurrency: Number(concurrencyText) });
const reporter = completionReporter();
worker.on("completed", () => reporter.add());
worker.on("failed", (_job, error) => fail(error));
await queue.waitUntilReady();
await worker.waitUntilReady();

onBench({
  go() {
    const adds: Array<Promise<unknown>> = [];
    for (let start = 0; start < jobs; start += CHUNK) {
      const chunk = Array.from({ length: Math.min(CHUNK, jobs - start) }, (_, offset) => ({
        name: "noop",
        data: { index: start + offset },
      }));
      adds.push(queue.addBulk(chunk));
    }
    Promise.all(adds).catch((error: unknown) => fail(error));
  },
  async stop() {
    await worker.close();
    await queue.close();
  },
});
process.send?.({ kind: "ready" } satisfies QueueWorkerMessage);
