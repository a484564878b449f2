/**
 * Durable runs against the real kernel process: 300 runs, the kernel SIGKILLed at five
 * different points of their lives — during the acknowledgement burst, with runs at the model
 * and more queued, mid-call of an idempotent tool (and between a tool result and the next
 * model call), mid-call of a non-idempotent tool, and at an arbitrary moment while runs flow
 * — then started again: every acknowledged run completes (one held at the model through
 * every kill fails `RUN_INTERRUPTED` once it has used its three resumes), no journalled tool
 * result is executed again, and a non-idempotent call in flight is never silently repeated.
 * Plus 50 concurrent submissions with one Idempotency-Key, which make one run, and a SIGTERM
 * under load that stops within the drain timeout with every run left to resume.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "@oxios/database";
import { FakeLlmServer, type FakeRequest, lastUserText } from "@oxios/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type KernelProcess, startKernel, tempHome } from "./__fixtures__/kernel-process.ts";

const COUNTER_SERVER = fileURLToPath(new URL("./__fixtures__/counter-mcp-server.mjs", import.meta.url));

interface Run {
  taskId: string;
  agentId: string;
  status: string;
  text?: string;
  resumes?: number;
  error?: { code: string; message: string };
}

/** Holds the fake model's replies while closed; the test decides when the model answers. */
class Gate {
  #closed = false;
  #waiters: Array<() => void> = [];
  get waiting(): number {
    return this.#waiters.length;
  }
  close(): void {
    this.#closed = true;
  }
  open(): void {
    this.#closed = false;
    for (const release of this.#waiters.splice(0)) release();
  }
  pass(): Promise<void> {
    return this.#closed ? new Promise((resolve) => this.#waiters.push(resolve)) : Promise.resolve();
  }
}

const atModel = new Gate();
const afterTool = new Gate();
let foreverWaiting = 0;

const toolResultIn = (request: FakeRequest) => (request.body.messages ?? []).some((message) => message.role === "tool");

/**
 * The scripted model, by goal: "plain …" answers; "held …" waits at `atModel`; "forever …"
 * never answers; "probe T" / "bump T" / "after T" call the counter tool with token T, then
 * answer ("after" waits at `afterTool` first).
 */
async function respond(request: FakeRequest) {
  const goal = lastUserText(request.body);
  const [kind, token] = goal.split(" ") as [string, string];
  if (kind === "probe" || kind === "bump" || kind === "after") {
    if (!toolResultIn(request)) {
      const tool = kind === "bump" ? "mcp__counter__bump" : "mcp__counter__probe";
      return { toolCalls: [{ name: tool, arguments: { token } }] };
    }
    if (kind === "after") await afterTool.pass();
    return { text: `finished ${goal}` };
  }
  if (kind === "forever") {
    foreverWaiting++;
    return { hang: true as const };
  }
  if (kind === "held") await atModel.pass();
  return { text: `finished ${goal}` };
}

describe("durable runs across SIGKILL", () => {
  let fake: FakeLlmServer;
  let kernel: KernelProcess | undefined;
  const home = tempHome();
  const counterLog = join(home, "counter.log");
  const acked = new Set<string>();
  const goals = new Map<string, string>();
  let env: Record<string, string>;

  const start = async () => {
    kernel = await startKernel(home, env, { built: true });
    return kernel;
  };
  const kill = async () => {
    kernel?.child.kill("SIGKILL");
    await kernel?.exited;
  };
  const submit = async (k: KernelProcess, goal: string) => {
    const run = await k.json<Run>("POST", "/api/runs", { goal });
    acked.add(run.taskId);
    goals.set(run.taskId, goal);
    return run;
  };
  const log = () => {
    try {
      return readFileSync(counterLog, "utf8").split("\n");
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    fake = await FakeLlmServer.start({ script: respond });
    env = {
      OXIOS_MODEL: "openai-compatible/fake",
      OXIOS_LLM_BASE_URL: fake.baseUrl,
      OXIOS_MAX_CONCURRENT: "4",
      OXIOS_RATE_PER_MIN: "1000000",
      OXIOS_HTTP_RATE_PER_MIN: "1000000",
      OXIOS_DRAIN_TIMEOUT_MS: "1000",
      OXIOS_MCP_SERVERS: JSON.stringify({
        counter: { command: process.execPath, args: [COUNTER_SERVER], env: { COUNTER_LOG: counterLog } },
      }),
    };
  });

  afterAll(async () => {
    if (kernel !== undefined && kernel.child.exitCode === null) kernel.child.kill("SIGKILL");
    atModel.open();
    afterTool.open();
    await fake.close();
  });

  it("every acknowledged run of 300 completes through five SIGKILLs; no tool result is executed twice", async () => {
    // 1. During the acknowledgement burst: killed once half of 100 concurrent POSTs are answered.
    let k = await start();
    let answered = 0;
    let killing: Promise<void> | undefined;
    const first = k;
    await Promise.allSettled(
      Array.from({ length: 100 }, async (_, index) => {
        await submit(first, `plain k1-${index}`);
        if (++answered === 50) killing = kill();
      }),
    );
    await killing;

    // 2. One run at the model for good, three more held there, 56 queued behind the cap of 4.
    k = await start();
    atModel.close();
    const forever = await submit(k, "forever f");
    await Promise.all(Array.from({ length: 59 }, (_, index) => submit(k, `held k2-${index}`)));
    await eventually(() => (atModel.waiting === 3 && foreverWaiting >= 1 ? true : undefined));
    await kill();
    atModel.open();

    // 3. Mid-call of the idempotent probe, and a run between its tool result and the next model call.
    k = await start();
    afterTool.close();
    await submit(k, "probe HOLD-probe");
    await submit(k, "after after-1");
    await Promise.all(Array.from({ length: 30 }, (_, index) => submit(k, `plain k3-${index}`)));
    await eventually(
      () => (log().includes("holding probe HOLD-probe") && afterTool.waiting === 1 ? true : undefined),
      30_000,
    );
    await kill();
    afterTool.open();

    // 4. Mid-call of the non-idempotent bump.
    k = await start();
    await submit(k, "bump HOLD-bump");
    await Promise.all([
      ...Array.from({ length: 10 }, (_, index) => submit(k, `bump b-${index}`)),
      ...Array.from({ length: 30 }, (_, index) => submit(k, `plain k4-${index}`)),
    ]);
    await eventually(() => (log().includes("holding bump HOLD-bump") ? true : undefined));
    await kill();

    // 5. Wherever the runs are once the model has answered 40 more requests.
    k = await start();
    const requests = fake.requestCount;
    const kinds = ["plain", "probe", "bump"];
    await Promise.all(Array.from({ length: 68 }, (_, index) => submit(k, `${kinds[index % 3]} k5-${index}`)));
    await fake.waitForRequests(requests + 40);
    await kill();

    // Back up: every acknowledged run finishes.
    k = await start();
    expect(acked.size).toBeGreaterThanOrEqual(249);
    const finished = new Map<string, Run>();
    const done = k;
    await Promise.all(
      [...acked].map(async (taskId) => {
        let run = await done.json<Run>("GET", `/api/runs/${taskId}?waitMs=30000`);
        while (run.status === "queued" || run.status === "running") {
          run = await done.json<Run>("GET", `/api/runs/${taskId}?waitMs=30000`);
        }
        finished.set(taskId, run);
      }),
    );
    const failed = [...finished.values()].filter((run) => run.status !== "completed");
    // The run held at the model through kills 2–5 used its three resumes and is not resumed a fourth time.
    expect(failed).toEqual([expect.objectContaining({ taskId: forever.taskId, status: "failed" })]);
    expect(failed[0]?.error?.code).toBe("RUN_INTERRUPTED");
    // The start names it in one line, and the log in one line, however many there are.
    expect(done.output()).toContain(
      `1 run(s) interrupted by the previous shutdown could not continue: ${forever.taskId}`,
    );
    expect(done.output().match(/runs interrupted by the previous shutdown could not continue/g)).toHaveLength(1);
    // It kept its workspace through every kill; concluded, it goes with the run.
    expect(existsSync(join(home, "agents", forever.agentId))).toBe(false);
    for (const [taskId, run] of finished) {
      if (taskId !== forever.taskId) expect(run.text, goals.get(taskId)).toBe(`finished ${goals.get(taskId)}`);
    }
    expect([...finished.values()].some((run) => (run.resumes ?? 0) > 0)).toBe(true);

    // What really ran (the counter's log) against what was journalled (oxios.db).
    const db = await openDatabase({ url: join(home, "oxios.db") });
    const steps = db.all<{ task_id: string; kind: string; step: string }>(
      "SELECT task_id, kind, step FROM run_steps WHERE kind IN ('tool-call', 'tool-result') ORDER BY seq",
    );
    const resumedEvents = db.get<{ n: number }>("SELECT count(*) AS n FROM audit_entries WHERE action = 'run.resumed'");
    db.close();
    const executions = (tool: string, token: string) => log().filter((line) => line === `${tool} ${token}`).length;
    const byCall = new Map<
      string,
      { marks: number; results: Array<{ ok: boolean; errorCode?: string }>; afterResult: number }
    >();
    const tokenOf = new Map<string, { tool: string; token: string }>();
    for (const row of steps) {
      const step = JSON.parse(row.step) as {
        callId: string;
        name: string;
        input?: { token: string };
        outcome?: { ok: boolean; errorCode?: string };
      };
      const entry = byCall.get(step.callId) ?? { marks: 0, results: [], afterResult: 0 };
      if (row.kind === "tool-call") {
        entry.marks++;
        if (entry.results.length > 0) entry.afterResult++;
      } else {
        entry.results.push(step.outcome as { ok: boolean; errorCode?: string });
        tokenOf.set(step.callId, { tool: step.name.replace("mcp__counter__", ""), token: step.input?.token ?? "" });
      }
      byCall.set(step.callId, entry);
    }
    expect(byCall.size).toBeGreaterThan(30);
    for (const [callId, entry] of byCall) {
      // A journalled result is never executed again, and a call has one result.
      expect(entry.afterResult, callId).toBe(0);
      expect(entry.results, callId).toHaveLength(1);
      const { tool, token } = tokenOf.get(callId) as { tool: string; token: string };
      // Every execution was journalled ahead (write-ahead), so executions ≤ journalled starts.
      expect(executions(tool, token), token).toBeLessThanOrEqual(entry.marks);
      if (tool === "bump") {
        // Never silently repeated: one start, at most one execution.
        expect(entry.marks, token).toBe(1);
        expect(executions(tool, token), token).toBeLessThanOrEqual(1);
      }
    }
    const held = (token: string) => [...tokenOf].find(([, value]) => value.token === token)?.[0] as string;
    // The idempotent probe in flight ran again on resume; the bump in flight did not, and the model was told so.
    expect(executions("probe", "HOLD-probe")).toBe(2);
    expect(byCall.get(held("HOLD-probe"))?.results).toEqual([expect.objectContaining({ ok: true })]);
    expect(executions("bump", "HOLD-bump")).toBe(1);
    expect(byCall.get(held("HOLD-bump"))?.results).toEqual([
      expect.objectContaining({ ok: false, errorCode: "TOOL_OUTCOME_UNKNOWN" }),
    ]);
    // The run past its tool result continued with the next model call, not the tool.
    expect(executions("probe", "after-1")).toBe(1);
    expect(resumedEvents?.n).toBeGreaterThan(0);
  });

  it("50 concurrent submissions with one Idempotency-Key make one run: one 202, 49 × 200, one taskId", async () => {
    // The kernel the test above left running (a new one if it failed before).
    const k = kernel !== undefined && kernel.child.exitCode === null ? kernel : await start();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        k.request("POST", "/api/runs", { goal: "plain once" }, { "idempotency-key": '"order-7"' }),
      ),
    );
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as Array<{ taskId: string }>;
    expect(responses.map((response) => response.status).sort()).toEqual([...Array(49).fill(200), 202]);
    expect(new Set(bodies.map((body) => body.taskId)).size).toBe(1);
    const run = await k.json<Run>("GET", `/api/runs/${bodies[0]?.taskId}?waitMs=20000`);
    expect(run).toMatchObject({ status: "completed", text: "finished plain once" });
    expect(fake.requests.filter((request) => lastUserText(request.body) === "plain once")).toHaveLength(1);
    // A malformed key is refused before anything is started.
    const bad = await k.request("POST", "/api/runs", { goal: "plain bad" }, { "idempotency-key": "has space" });
    expect(bad.status).toBe(422);
  });

  it("SIGTERM under load stops within the drain timeout, ok; queued and running runs resume at the next start", async () => {
    const k = kernel !== undefined && kernel.child.exitCode === null ? kernel : await start();
    atModel.close();
    const runs = await Promise.all(Array.from({ length: 40 }, (_, index) => submit(k, `held stop-${index}`)));
    await eventually(() => (atModel.waiting === 4 ? true : undefined));
    k.child.kill("SIGTERM");
    expect((await k.exited).code).toBe(0);
    // ok:true means no step of the shutdown ran past its timeout (the drain's is 1 s).
    expect(k.output()).toMatch(/"ok":true[^\n]*"message":"shutdown complete"/);
    const db = await openDatabase({ url: join(home, "oxios.db") });
    const ids = runs.map((run) => run.taskId);
    const statuses = db
      .all<{ status: string }>(`SELECT status FROM run_records WHERE task_id IN (${ids.map(() => "?").join(",")})`, ids)
      .map((row) => row.status)
      .sort();
    db.close();
    expect(statuses).toEqual([...Array(36).fill("queued"), ...Array(4).fill("running")]);
    atModel.open();

    const again = await start();
    const finished = await Promise.all(
      ids.map(async (taskId) => {
        let run = await again.json<Run>("GET", `/api/runs/${taskId}?waitMs=30000`);
        while (run.status === "queued" || run.status === "running") {
          run = await again.json<Run>("GET", `/api/runs/${taskId}?waitMs=30000`);
        }
        return run;
      }),
    );
    expect(finished.every((run) => run.status === "completed")).toBe(true);
    expect(finished.filter((run) => run.resumes === 1)).toHaveLength(4);
    again.child.kill("SIGTERM");
    expect((await again.exited).code).toBe(0);
  });
});
