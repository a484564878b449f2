/** Shared setup for this package's tests: a registry with every built-in tool, fakes and a temp workspace. */

import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock, Redactor } from "@oxios/core";
import { createMemoryLogger, ManualClock, type MemoryLogger } from "@oxios/core/testing";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import type { ApprovalDefault } from "./approvals.ts";
import { type BuiltinToolOptions, builtinTools } from "./builtin-tools.ts";
import type { AgentIdentity } from "./permissions.ts";
import type { ToolPorts } from "./ports.ts";
import { ToolRegistry, type ToolSession } from "./registry.ts";
import { FakeKernelPort, InMemoryAuditSink, InMemoryMemoryPort, InMemorySpacePort } from "./testing/fake-ports.ts";
import type { ToolResult } from "./tool.ts";

export interface Harness {
  root: string;
  workspace: string;
  clock: ManualClock;
  audit: InMemoryAuditSink;
  publisher: RecordingPublisher;
  logger: MemoryLogger;
  memory: InMemoryMemoryPort;
  space: InMemorySpacePort;
  kernel: FakeKernelPort;
  registry: ToolRegistry;
  session: ToolSession;
  /** Another session on the same registry for a differently configured agent. */
  sessionFor(agent: Partial<AgentIdentity>): Promise<ToolSession>;
  cleanup(): Promise<void>;
}

export async function createHarness(
  options: {
    agent?: Partial<AgentIdentity>;
    tools?: BuiltinToolOptions;
    clock?: Clock;
    approvalTimeoutMs?: number;
    approvalDefault?: ApprovalDefault;
    redactor?: Redactor;
    /** Ports besides the fake memory, space and kernel ports (skills, schedules). */
    ports?: Partial<ToolPorts>;
    workspaceOwner?: { uid: number; gid: number };
  } = {},
): Promise<Harness> {
  const root = await realpath(await mkdtemp(join(tmpdir(), "oxios-tools-")));
  const clock = new ManualClock();
  const audit = new InMemoryAuditSink();
  const publisher = new RecordingPublisher();
  const logger = createMemoryLogger("debug");
  const memory = new InMemoryMemoryPort({ clock });
  const space = new InMemorySpacePort([
    { id: "space-a", name: "Alpha" },
    { id: "space-b", name: "Beta" },
  ]);
  const kernel = new FakeKernelPort([
    { agentId: "agent-2", name: "helper", state: "running" },
    { agentId: "agent-3", name: "idle", state: "stopped" },
  ]);
  const registry = new ToolRegistry({
    audit,
    publisher,
    clock: options.clock ?? clock,
    logger,
    ports: { memory, space, kernel, ...options.ports },
    approvalTimeoutMs: options.approvalTimeoutMs ?? 30_000,
    ...(options.approvalDefault === undefined ? {} : { approvalDefault: options.approvalDefault }),
    ...(options.redactor === undefined ? {} : { redactor: options.redactor }),
    ...(options.workspaceOwner === undefined ? {} : { workspaceOwner: options.workspaceOwner }),
  }).register(...builtinTools(options.tools));
  // The default agent's workspace is there from the start, as a test's setup expects; a
  // session for a missing one makes it at its first call that reaches the filesystem.
  const workspace = join(root, "workspace");
  await mkdir(workspace);
  const sessionFor = (agent: Partial<AgentIdentity>): Promise<ToolSession> =>
    registry.session({ agentId: "agent-1", workspaceDir: workspace, ...agent });
  const session = await sessionFor(options.agent ?? {});
  return {
    root,
    workspace,
    clock,
    audit,
    publisher,
    logger,
    memory,
    space,
    kernel,
    registry,
    session,
    sessionFor,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** The error code of a failed result (fails the test when the result is ok). */
export function errorCode(result: ToolResult): string {
  if (result.ok) throw new Error(`expected a failure, got ok: ${JSON.stringify(result.output).slice(0, 200)}`);
  return result.error.code;
}

/** The output of an ok result (fails the test otherwise). */
export function okOutput<T>(result: ToolResult): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.output as T;
}

/**
 * Polls `condition` every few ms until it holds (for real processes only). Without
 * `timeoutMs` it waits for the event itself and the test's own timeout bounds it, so a loaded
 * machine makes it slower, never wrong.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void> {
  const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Processes of group `pgid` that are not zombies (Linux `/proc`); a zombie has already died. */
export function liveGroupMembers(pgid: number): number[] {
  const live: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch (error) {
      if ((error as { code?: unknown }).code === "ENOENT" || (error as { code?: unknown }).code === "ESRCH") continue;
      throw error;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z") live.push(Number(entry));
  }
  return live;
}

/**
 * Host pids of live (non-zombie) processes with `argument` as one of their command-line
 * arguments — how a test finds a process started inside a sandbox, whose own pids are those
 * of its pid namespace.
 */
export function processesWithArgument(argument: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    let stat: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "ENOENT" || code === "ESRCH") continue;
      throw error;
    }
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    if (state !== "Z" && cmdline.split("\0").includes(argument)) found.push(Number(entry));
  }
  return found;
}

/** True when `process.kill(-pgid, 0)` throws ESRCH: no process of the group exists at all. */
export function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (error) {
    return (error as { code?: unknown }).code === "ESRCH";
  }
}
