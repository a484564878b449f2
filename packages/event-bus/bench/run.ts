// Event bus and audit benchmarks, each against its baseline in the same run (round-robin
// rounds, medians):
// 1. publish to 10 synchronous listeners: EventBus vs raw nanoevents vs node's EventEmitter;
// 2. the same bus with the audit subscriber attached (in-memory store, flushed) vs without;
// 3. durable audit appends on a libsql file (WAL, synchronous=FULL): group commit vs one
//    transaction per entry.
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compareOpsPerSecond, writeBenchResults } from "@oxios/tooling/bench";
import { createNanoEvents } from "nanoevents";
import { AuditSubscriber, AuditTrail, createEvent, EventBus, MemoryAuditStore } from "../src/index.ts";
import { LibsqlAuditStore } from "../src/libsql/index.ts";

const LISTENERS = 10;
const event = createEvent("task.admitted", { taskId: "t1", waitingMs: 3, attempt: 1 }, "bench", 0);
let sink = 0;
// Ten distinct listener functions, shared by all three contenders.
const listeners = Array.from({ length: LISTENERS }, () => (value: { at: number }): void => {
  sink += value.at + 1;
});

const bus = new EventBus();
for (const listener of listeners) bus.on("task.admitted", listener);
const nano = createNanoEvents<{ "task.admitted": (value: typeof event) => void }>();
for (const listener of listeners) nano.on("task.admitted", listener);
const emitter = new EventEmitter();
emitter.setMaxListeners(LISTENERS + 1);
for (const listener of listeners) emitter.on("task.admitted", listener);

const publish = await compareOpsPerSecond(
  {
    ours: (count) => {
      for (let index = 0; index < count; index++) bus.publish(event);
    },
    nanoevents: (count) => {
      for (let index = 0; index < count; index++) nano.emit("task.admitted", event);
    },
    eventEmitter: (count) => {
      for (let index = 0; index < count; index++) emitter.emit("task.admitted", event);
    },
  },
  { iterations: 1_000_000, rounds: 7 },
);

// Audit attached: a fresh bus per round so the trail's retention does not dominate.
async function auditedRound(count: number, audited: boolean): Promise<void> {
  const roundBus = new EventBus();
  for (const listener of listeners) roundBus.on("task.admitted", listener);
  const trail = audited ? await AuditTrail.open({ store: new MemoryAuditStore() }) : undefined;
  const audit = trail === undefined ? undefined : new AuditSubscriber({ bus: roundBus, trail });
  for (let index = 0; index < count; index++) roundBus.publish(event);
  await audit?.flush();
  // The no-loss promise at burst size: every published event is in the trail.
  if (trail !== undefined && trail.stats().count !== Math.min(count, 100_000)) {
    throw new Error(`audit lost events: ${trail.stats().count} recorded of ${count} published`);
  }
}
const audited = await compareOpsPerSecond(
  {
    withAudit: (count) => auditedRound(count, true),
    withoutAudit: (count) => auditedRound(count, false),
  },
  { iterations: 20_000, rounds: 5 },
);

// A 100,000-event burst in one synchronous loop (the test proves no loss at 10,000).
const burst = await compareOpsPerSecond(
  {
    withAudit: (count) => auditedRound(count, true),
    withoutAudit: (count) => auditedRound(count, false),
  },
  { iterations: 100_000, rounds: 3 },
);

// Durable appends on a libsql file.
const directory = mkdtempSync(join(tmpdir(), "oxios-audit-bench-"));
let files = 0;
async function durableRound(count: number, grouped: boolean): Promise<void> {
  const trail = await AuditTrail.open({
    store: await LibsqlAuditStore.open({ url: `file:${join(directory, `${files++}.db`)}` }),
  });
  if (grouped) {
    await Promise.all(
      Array.from({ length: count }, (_, index) => trail.append({ actor: "bench", action: "x", details: { index } })),
    );
  } else {
    for (let index = 0; index < count; index++) await trail.append({ actor: "bench", action: "x", details: { index } });
  }
  await trail.close();
}
const durable = await compareOpsPerSecond(
  {
    groupCommit: (count) => durableRound(count, true),
    perEntry: (count) => durableRound(count, false),
  },
  { iterations: 2_000, rounds: 5 },
);
rmSync(directory, { recursive: true, force: true });
if (sink === 0) console.log("(listeners never ran)");

const nan = Number.NaN;
writeBenchResults(fileURLToPath(new URL("..", import.meta.url)), [
  {
    name: "publish to 10 sync listeners (1e6 events)",
    ours: publish.ours ?? nan,
    baseline: publish.nanoevents ?? nan,
    baselineName: "raw nanoevents emit",
    unit: "events/s",
    better: "higher",
    goal: { atLeast: 0.5 },
  },
  {
    name: "publish to 10 sync listeners (1e6 events)",
    ours: publish.ours ?? nan,
    baseline: publish.eventEmitter ?? nan,
    baselineName: "node EventEmitter emit",
    unit: "events/s",
    better: "higher",
    goal: { atLeast: 1.5 },
  },
  {
    name: "publish + audit subscriber (memory store, flushed)",
    ours: audited.withAudit ?? nan,
    baseline: audited.withoutAudit ?? nan,
    baselineName: "same bus, no audit",
    unit: "events/s",
    better: "higher",
    notes: "what auditing every event costs (hash chain + canonical encoding, flushed to the in-memory store)",
  },
  {
    name: "100,000-event burst + audit subscriber, flushed, none lost",
    ours: burst.withAudit ?? nan,
    baseline: burst.withoutAudit ?? nan,
    baselineName: "same burst, no audit",
    unit: "events/s",
    better: "higher",
    notes: "the run throws if the trail holds fewer entries than were published",
  },
  {
    name: "durable audit appends, libsql file (WAL, synchronous=FULL)",
    ours: durable.groupCommit ?? nan,
    baseline: durable.perEntry ?? nan,
    baselineName: "one transaction per entry",
    unit: "entries/s",
    better: "higher",
    goal: { atLeast: 20 },
  },
]);
