// The gate's cost per call, and exec's cost per process with and without the OS sandbox, each
// beside its baseline in the same run.
//
// exec latency: every contender runs `true` once per turn, round-robin (bare execFile, exec
// through the gate in a bubblewrap sandbox with spares — the kernel's configuration —, the
// same without spares, and through the gate unsandboxed), with an idle gap between turns like
// the model turn that separates an agent's exec calls. Medians (p50) of per-call latency. A
// second pass without the gap shows the back-to-back case, where a spare is still being set up
// when the next call comes.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import { compareOpsPerSecond, percentile, writeBenchResults } from "@oxios/tooling/bench";
import { z } from "zod";
import { BubblewrapSandbox, defineTool, execTool, type Sandbox, ToolRegistry, Unsandboxed } from "../src/index.ts";
import { InMemoryAuditSink } from "../src/testing/index.ts";

const input = z.object({ text: z.string(), times: z.number().int().min(1).default(1) });
const body = async (value: z.output<typeof input>) => ({ output: value.text.repeat(value.times) });
const echo = defineTool({ name: "echo_back", description: "echo", input, family: "fs.read", execute: body });

const root = await mkdtemp(join(tmpdir(), "oxios-tools-bench-"));
// A publisher and an audit sink that keep nothing, so memory stays flat over many calls.
const publisher = new RecordingPublisher();
publisher.publish = () => ({ delivered: 1, dropped: 0 });
class CountingAudit extends InMemoryAuditSink {
  count = 0;
  override async append(): Promise<{ seq: number }> {
    this.count++;
    return { seq: this.count };
  }
}

/** A gated session whose exec runs in `sandbox`. */
async function sessionWith(name: string, sandbox: Sandbox, tools: ReturnType<typeof defineTool>[] = []) {
  const registry = new ToolRegistry({ audit: new CountingAudit(), publisher }).register(
    execTool({ sandbox }),
    ...tools,
  );
  return registry.session({
    agentId: name,
    workspaceDir: join(root, name),
    permissions: { exec: { binaries: ["true"] } },
  });
}

const pooled = new BubblewrapSandbox({ maxSpares: 4 });
const cold = new BubblewrapSandbox({ maxSpares: 0 });
const sessions = {
  pooled: await sessionWith("pooled", pooled, [echo]),
  cold: await sessionWith("cold", cold),
  unsandboxed: await sessionWith("unsandboxed", new Unsandboxed()),
};

const calls = await compareOpsPerSecond(
  {
    gated: async (count) => {
      for (let index = 0; index < count; index++) {
        const result = await sessions.pooled.execute("echo_back", { text: "ab", times: 2 });
        if (!result.ok) throw new Error(result.error.message);
      }
    },
    direct: async (count) => {
      for (let index = 0; index < count; index++) await body(input.parse({ text: "ab", times: 2 }));
    },
  },
  { iterations: 20_000, rounds: 7 },
);

const gatedExec = (session: (typeof sessions)[keyof typeof sessions]) => async () => {
  const result = await session.execute("exec", { binary: "true" });
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
};
const contenders: Record<string, () => Promise<void>> = {
  execFile: () =>
    new Promise<void>((resolve, reject) => execFile("true", (error) => (error ? reject(error) : resolve()))),
  sandboxed: gatedExec(sessions.pooled),
  sandboxedCold: gatedExec(sessions.cold),
  unsandboxed: gatedExec(sessions.unsandboxed),
};

/** Per-call latencies (ms) of each contender, round-robin, with `gapMs` idle after each call. */
async function latencies(turns: number, gapMs: number): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let turn = -3; turn < turns; turn++) {
    for (const [name, call] of Object.entries(contenders)) {
      const started = performance.now();
      await call();
      const elapsed = performance.now() - started;
      if (turn >= 0) samples[name]?.push(elapsed);
      if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
  }
  return samples;
}

const spaced = await latencies(80, 40);
const backToBack = await latencies(40, 0);
await pooled.close();
await cold.close();
await rm(root, { recursive: true, force: true });

const p50 = (samples: Record<string, number[]>, name: string) => percentile(samples[name] ?? [], 50);
const p90 = (samples: Record<string, number[]>, name: string) => percentile(samples[name] ?? [], 90);
const summary = (samples: Record<string, number[]>) =>
  Object.keys(contenders)
    .map((name) => `${name} p50 ${p50(samples, name).toFixed(2)} ms / p90 ${p90(samples, name).toFixed(2)} ms`)
    .join("; ");
console.log(`spaced (40 ms between calls): ${summary(spaced)}`);
console.log(`back to back: ${summary(backToBack)}\n`);

writeBenchResults(fileURLToPath(new URL("..", import.meta.url)), [
  {
    name: "tool call through the gate (parse, decide, audit, events)",
    ours: calls.gated ?? Number.NaN,
    baseline: calls.direct ?? Number.NaN,
    baselineName: "zod parse + execute, no gate",
    unit: "calls/s",
    better: "higher",
    notes: "the gap is the audit append, the decision and four events per call",
  },
  {
    name: "exec `true`: gate + bubblewrap sandbox with spares, calls a model turn apart (p50 latency)",
    ours: p50(spaced, "sandboxed"),
    baseline: p50(spaced, "execFile"),
    baselineName: "child_process.execFile, no gate, no sandbox",
    unit: "ms",
    better: "lower",
    goal: { atMost: 3 },
    notes: `same run, round-robin, 40 ms idle after each call; ${summary(spaced)}`,
  },
  {
    name: "exec `true`: gate + bubblewrap sandbox without spares (p50 latency)",
    ours: p50(spaced, "sandboxedCold"),
    baseline: p50(spaced, "execFile"),
    baselineName: "child_process.execFile, no gate, no sandbox",
    unit: "ms",
    better: "lower",
    notes: "what every call would cost without spares: namespaces and mounts set up inside the call",
  },
  {
    name: "exec `true`: gate + bubblewrap sandbox with spares, back to back (p50 latency)",
    ours: p50(backToBack, "sandboxed"),
    baseline: p50(backToBack, "execFile"),
    baselineName: "child_process.execFile, no gate, no sandbox",
    unit: "ms",
    better: "lower",
    notes: `no gap: the next spare is still being set up when the call comes; ${summary(backToBack)}`,
  },
  {
    name: "exec `true`: gate, unsandboxed (exec_sandbox = none) (p50 latency)",
    ours: p50(spaced, "unsandboxed"),
    baseline: p50(spaced, "execFile"),
    baselineName: "child_process.execFile, no gate, no sandbox",
    unit: "ms",
    better: "lower",
    notes: "the gate and the process handling alone",
  },
]);
