import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SecretRedactor } from "@oxios/core";
import { GroupCommit, openDatabase } from "@oxios/database";
import { Scheduler } from "@oxios/scheduler";
import { LibsqlTaskStore } from "@oxios/scheduler/libsql";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JournalledRun, RunJournal, RunStep } from "../run-journal.ts";
import type { RunRecord } from "../run-record.ts";
import { InMemoryRunJournal } from "../testing/in-memory-run-journal.ts";
import { LibsqlRunJournal } from "./libsql-run-journal.ts";

let directory: string;
let url: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "oxios-run-journal-"));
  url = `file:${join(directory, "oxios.db")}`;
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function run(taskId: string, createdAt = 1): JournalledRun {
  return {
    record: {
      taskId,
      agentId: `agent-${taskId}`,
      goal: `goal ${taskId}`,
      priority: "normal",
      status: "queued",
      createdAt,
    },
    request: { constraints: ["c"], acceptanceCriteria: [] },
  };
}

const model: RunStep = {
  kind: "model",
  text: "",
  toolCalls: [{ callId: "c1", name: "read", rawInput: '{"path":"a"}' }],
  usage: { inputTokens: 3, outputTokens: 2 },
};

describe("LibsqlRunJournal", () => {
  it("keeps a run's record and its steps in order across a reopen", async () => {
    const journal = await LibsqlRunJournal.open({ url });
    await journal.create(run("r1"));
    await journal.append("r1", { kind: "prompt", system: "sys", input: "in" });
    await journal.append("r1", model);
    await journal.append("r1", { kind: "tool-call", callId: "c1", name: "read" });
    await journal.update({ ...run("r1").record, status: "running", startedAt: 5 });
    await journal.close();

    const reopened = await LibsqlRunJournal.open({ url });
    const loaded = await reopened.load("r1");
    expect(loaded?.run.record).toMatchObject({ taskId: "r1", status: "running", startedAt: 5 });
    expect(loaded?.run.request).toEqual({ constraints: ["c"], acceptanceCriteria: [] });
    expect(loaded?.steps.map((step) => step.kind)).toEqual(["prompt", "model", "tool-call"]);
    expect(loaded?.steps[1]).toEqual(model);
    expect((await reopened.unfinished()).map((item) => item.record.taskId)).toEqual(["r1"]);
    await reopened.update({ ...run("r1").record, status: "completed", finishedAt: 9, text: "done" });
    expect(await reopened.unfinished()).toEqual([]);
    expect(await reopened.get("r1")).toMatchObject({ status: "completed", text: "done" });
    expect(await reopened.get("missing")).toBeUndefined();
    await reopened.close();
  });

  it("reads a run's steps after a seq, in order, from two handles writing in turn", async () => {
    const first = await LibsqlRunJournal.open({ url });
    const second = await LibsqlRunJournal.open({ url });
    await first.create(run("r1"));
    await first.create(run("r2"));
    await first.append("r1", { kind: "prompt", system: "sys", input: "in" });
    await second.append("r2", { kind: "prompt", system: "other", input: "other" });
    await second.append("r1", model);
    await first.append("r1", { kind: "tool-call", callId: "c1", name: "read" });

    const all = await second.stepsAfter("r1", 0);
    expect(all.map((item) => item.step.kind)).toEqual(["prompt", "model", "tool-call"]);
    expect(all[1]?.step).toEqual(model);
    const seqs = all.map((item) => item.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    // After the first seq: the rest; a limit takes the oldest; after the last: nothing.
    expect((await first.stepsAfter("r1", seqs[0] as number)).map((item) => item.seq)).toEqual(seqs.slice(1));
    expect((await first.stepsAfter("r1", 0, 2)).map((item) => item.seq)).toEqual(seqs.slice(0, 2));
    expect(await first.stepsAfter("r1", seqs[2] as number)).toEqual([]);
    expect(await first.stepsAfter("missing", 0)).toEqual([]);
    await first.close();
    await second.close();
  });

  it("a run's record and its scheduler task on one handle commit in one transaction", async () => {
    const database = await openDatabase({ url });
    const journal = await LibsqlRunJournal.open({ database });
    const store = await LibsqlTaskStore.open({ database });
    const scheduler = new Scheduler({ store, maxConcurrent: 1 });
    const before = GroupCommit.for(database).commits;
    const created = Array.from({ length: 20 }, (_, index) => {
      const accepted = journal.create(run(`r${index}`));
      scheduler.submit({ id: `r${index}`, idempotencyKey: `k${index}` });
      return accepted;
    });
    await Promise.all(created);
    expect(GroupCommit.for(database).commits - before).toBe(1);
    expect(database.get("SELECT count(*) AS n FROM scheduler_tasks")).toEqual({ n: 20 });
    expect(database.get("SELECT count(*) AS n FROM run_records")).toEqual({ n: 20 });
    await scheduler.drain({ timeoutMs: 0 });
    await store.close();
    await journal.close();
    expect(database.isOpen).toBe(true);
    database.close();
  });

  it("with a lease owner, stores no step and no record change of a run another node holds, decided at commit", async () => {
    const database = await openDatabase({ url });
    const store = await LibsqlTaskStore.open({ database });
    const journal = await LibsqlRunJournal.open({ database, leaseOwner: "node-a" });
    const task = (id: string, status: string, owner: string | null) =>
      database.run(
        `INSERT INTO scheduler_tasks (id, priority, rate_key, created_at, enqueued_at, status, attempts, lease_owner)
         VALUES (?, 'normal', 'default', 0, 0, ?, 1, ?)`,
        [id, status, owner],
      );
    task("mine", "running", "node-a");
    task("theirs", "running", "node-b");
    task("nobodys", "queued", null);
    const ids = ["mine", "theirs", "nobodys", "no-task"];
    for (const id of ids) await journal.create(run(id));
    for (const id of ids) await journal.append(id, { kind: "prompt", system: "s", input: id });
    for (const id of ids) await journal.update({ ...run(id).record, status: "running", startedAt: 2 });
    // Taken over between a write and its commit: the commit decides.
    const late = journal.append("mine", model);
    database.run("UPDATE scheduler_tasks SET lease_owner = 'node-b' WHERE id = 'mine'");
    await late;
    const stored = Object.fromEntries(
      await Promise.all(
        ids.map(async (id) => {
          const loaded = await journal.load(id);
          return [id, { status: loaded?.run.record.status, steps: loaded?.steps.map((step) => step.kind) }];
        }),
      ),
    );
    expect(stored).toEqual({
      mine: { status: "running", steps: ["prompt"] },
      theirs: { status: "queued", steps: [] },
      nobodys: { status: "running", steps: ["prompt"] },
      "no-task": { status: "running", steps: ["prompt"] },
    });
    await journal.close();
    await store.close();
    database.close();
  });

  it("stores known secrets redacted, in records and in steps", async () => {
    const secret = "sk-journal-secret-0123456789";
    const journal = await LibsqlRunJournal.open({
      url,
      redactor: new SecretRedactor([{ label: "llm-api-key", value: secret }]),
    });
    await journal.create({ ...run("r1"), record: { ...run("r1").record, goal: `use ${secret}` } });
    await journal.append("r1", {
      kind: "tool-result",
      callId: "c1",
      name: "read",
      input: { path: secret },
      outcome: { ok: true, output: `the key is ${secret}` },
    });
    await journal.close();
    const database = await openDatabase({ url });
    const stored = JSON.stringify([database.all("SELECT * FROM run_records"), database.all("SELECT * FROM run_steps")]);
    database.close();
    expect(stored).toContain("[redacted:llm-api-key]");
    expect(stored).not.toContain(secret);
  });

  it("prunes finished runs by age and count with their steps, never an unfinished one", async () => {
    const journal = await LibsqlRunJournal.open({ url });
    for (const [taskId, finishedAt] of [
      ["old", 100],
      ["mid", 200],
      ["new", 300],
    ] as const) {
      await journal.create(run(taskId));
      await journal.append(taskId, model);
      await journal.update({ ...run(taskId).record, status: "completed", finishedAt });
    }
    await journal.create(run("live"));
    await journal.append("live", model);
    expect(await journal.prune({ finishedBefore: 150, keep: 1 })).toBe(2);
    expect(await journal.get("old")).toBeUndefined();
    expect(await journal.get("mid")).toBeUndefined();
    expect(await journal.get("new")).toMatchObject({ status: "completed" });
    expect(journal.stepCount("old")).toBe(0);
    expect(journal.stepCount("live")).toBe(1);
    expect((await journal.unfinished()).map((item) => item.record.taskId)).toEqual(["live"]);
    await journal.close();
  });

  it("a closed journal refuses writes with RUN_JOURNAL_CLOSED; a duplicate run fails its write", async () => {
    const journal = await LibsqlRunJournal.open({ url });
    await journal.create(run("r1"));
    await expect(journal.create(run("r1"))).rejects.toMatchObject({ code: "RUN_JOURNAL_FAILED" });
    await journal.close();
    await expect(journal.append("r1", model)).rejects.toMatchObject({ code: "RUN_JOURNAL_CLOSED" });
  });

  it("a full disk fails a write RUN_JOURNAL_UNAVAILABLE (the database's DATABASE_FULL as cause), and writes land again once space is freed", async () => {
    const database = await openDatabase({ url });
    const journal = await LibsqlRunJournal.open({ database });
    await journal.create(run("before"));
    const pages = Number(database.get<{ page_count: number }>("PRAGMA page_count")?.page_count);
    database.exec(`PRAGMA max_page_count = ${pages}`);
    const big = { ...run("full"), request: { constraints: ["x".repeat(20_000)], acceptanceCriteria: [] } };
    const refused = await journal.create(big).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: "RUN_JOURNAL_UNAVAILABLE", cause: { code: "DATABASE_FULL" } });
    database.exec("PRAGMA max_page_count = 1073741823");
    await journal.create(big);
    expect((await journal.unfinished()).map((item) => item.record.taskId)).toEqual(["before", "full"]);
    await journal.close();
    database.close();
  });
});

describe.each([
  { name: "LibsqlRunJournal", open: (): Promise<RunJournal> => LibsqlRunJournal.open({ url }) },
  { name: "InMemoryRunJournal", open: async (): Promise<RunJournal> => new InMemoryRunJournal() },
])("$name keeps no reference to what it is given", ({ open }) => {
  it("writes a record and a step as they were when handed over, whatever the caller changes before they are durable", async () => {
    const journal = await open();
    const created = run("r1");
    const creating = journal.create(created);
    created.record.status = "failed";
    created.record.goal = "changed";
    await creating;
    expect(await journal.get("r1")).toMatchObject({ status: "queued", goal: "goal r1" });

    const record: RunRecord = { ...run("r1").record, status: "running", startedAt: 5 };
    const updating = journal.update(record);
    record.status = "completed";
    record.startedAt = 99;
    await updating;
    expect(await journal.get("r1")).toMatchObject({ status: "running", startedAt: 5 });

    const step: RunStep = { kind: "prompt", system: "sys", input: "in" };
    const appending = journal.append("r1", step);
    step.input = "changed";
    await appending;
    expect((await journal.load("r1"))?.steps).toEqual([{ kind: "prompt", system: "sys", input: "in" }]);
    await journal.close();
  });
});
