// The gate's cost per call and exec's cost per process, each beside its ungated baseline,
// measured round-robin in one process (medians of rounds).
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import { compareOpsPerSecond, writeBenchResults } from "@oxios/tooling/bench";
import { z } from "zod";
import { defineTool, execTool, ToolRegistry } from "../src/index.ts";
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
const registry = new ToolRegistry({ audit: new CountingAudit(), publisher }).register(echo, execTool());
const session = await registry.session({
  agentId: "bench",
  workspaceDir: join(root, "ws"),
  permissions: { exec: { binaries: ["true"] } },
});

const calls = await compareOpsPerSecond(
  {
    gated: async (count) => {
      for (let index = 0; index < count; index++) {
        const result = await session.execute("echo_back", { text: "ab", times: 2 });
        if (!result.ok) throw new Error(result.error.message);
      }
    },
    direct: async (count) => {
      for (let index = 0; index < count; index++) await body(input.parse({ text: "ab", times: 2 }));
    },
  },
  { iterations: 20_000, rounds: 7 },
);

const spawns = await compareOpsPerSecond(
  {
    gatedExec: async (count) => {
      for (let index = 0; index < count; index++) {
        const result = await session.execute("exec", { binary: "true" });
        if (!result.ok) throw new Error(result.error.message);
      }
    },
    execFile: async (count) => {
      for (let index = 0; index < count; index++) {
        await new Promise<void>((resolve, reject) => execFile("true", (error) => (error ? reject(error) : resolve())));
      }
    },
  },
  { iterations: 100, rounds: 5 },
);
await rm(root, { recursive: true, force: true });

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
    name: "exec `true` through the gate (own group, scrubbed env, caps)",
    ours: spawns.gatedExec ?? Number.NaN,
    baseline: spawns.execFile ?? Number.NaN,
    baselineName: "child_process.execFile, no gate",
    unit: "processes/s",
    better: "higher",
    goal: { atLeast: 0.7 },
  },
]);
