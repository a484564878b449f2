/**
 * A real kernel around the runtime for integration tests: a Scheduler (with the budgets'
 * canAdmit), a Supervisor, a SpaceManager, a StateStore + GitLayer in a temp dir, a libsql
 * MemoryStore with the HashingEmbedder, and a ToolRegistry with the built-in tools behind the
 * gate. Nothing is mocked; `close()` shuts everything down in kernel order.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Clock, systemClock } from "@oxios/core";
import { type Database, openDatabase } from "@oxios/database";
import { RecordingPublisher } from "@oxios/event-bus/testing";
import { MemoryStore } from "@oxios/memory";
import { HashingEmbedder } from "@oxios/memory/testing";
import { Scheduler } from "@oxios/scheduler";
import { LibsqlTaskStore } from "@oxios/scheduler/libsql";
import { InMemorySpaceStore, SpaceManager, type SpaceStore } from "@oxios/space";
import { GitLayer, StateStore } from "@oxios/state-store";
import { Supervisor } from "@oxios/supervisor";
import { type AnyTool, type ApprovalStore, builtinTools, ToolRegistry, type ToolPorts } from "@oxios/tools";
import { InMemoryAuditSink } from "@oxios/tools/testing";
import { MemoryStoreToolPort } from "../adapters/memory-adapters.ts";
import { SpaceManagerToolPort } from "../adapters/space-tool-port.ts";
import { createRuntime, type Runtime, type RuntimeOptions } from "../create-runtime.ts";
import { LibsqlRunJournal } from "../libsql/libsql-run-journal.ts";
import type { ResolvedModel } from "../providers/resolve-model.ts";
import { TokenBudgets } from "../token-budgets.ts";

export interface WorldOptions {
  model: ResolvedModel;
  maxConcurrent?: number;
  /** Reuse a directory (a "restart" over the same state). */
  dir?: string;
  spaceStore?: SpaceStore;
  extraTools?: AnyTool[];
  /** Ports besides memory and space (skills, schedules). */
  ports?: Partial<ToolPorts>;
  runtime?: Partial<RuntimeOptions>;
  /** The clock profile budget windows are measured on (default the system clock). */
  budgetClock?: Clock;
  /** Durable runs: the task queue and the run journal on one `oxios.db` handle in `dir`. */
  durable?: boolean;
  /** Where the gate keeps approval records (one the test shares across a simulated restart). */
  approvalStore?: ApprovalStore;
  /** The publisher every component publishes to (default a RecordingPublisher observing every type). */
  publisher?: RecordingPublisher;
  /** The scheduler's `leaseHeld` hook (a cluster node's word on its leases). */
  leaseHeld?: (taskId: string) => boolean;
}

export interface World {
  dir: string;
  runtime: Runtime;
  publisher: RecordingPublisher;
  scheduler: Scheduler;
  supervisor: Supervisor;
  spaces: SpaceManager;
  spaceStore: SpaceStore;
  state: StateStore;
  git: GitLayer;
  memory: MemoryStore;
  audit: InMemoryAuditSink;
  tools: ToolRegistry;
  budgets: TokenBudgets;
  /** With `durable`: the shared database, the task store and the run journal. */
  database?: Database;
  taskStore?: LibsqlTaskStore;
  journal?: LibsqlRunJournal;
  close(options?: { keepDir?: boolean }): Promise<void>;
}

export async function openWorld(options: WorldOptions): Promise<World> {
  const clock = systemClock;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "oxios-runtime-")));
  const publisher = options.publisher ?? new RecordingPublisher();
  let runtime: Runtime | undefined;
  let scheduler: Scheduler | undefined;
  const budgets = new TokenBudgets({
    clock: options.budgetClock ?? clock,
    onWindowReset: () => scheduler?.reconsider(),
  });
  const database = options.durable ? await openDatabase({ url: `file:${join(dir, "oxios.db")}` }) : undefined;
  const taskStore = database === undefined ? undefined : await LibsqlTaskStore.open({ database });
  const journal = database === undefined ? undefined : await LibsqlRunJournal.open({ database });
  scheduler = new Scheduler({
    clock,
    events: publisher,
    ...(taskStore === undefined ? {} : { store: taskStore }),
    maxConcurrent: options.maxConcurrent ?? 20,
    ratePerMinute: Number.POSITIVE_INFINITY,
    // The runtime's hook (budgets, profile windows and caps) once it exists.
    canAdmit: (task) => runtime?.canAdmit(task) ?? budgets.canAdmit(task),
    ...(options.leaseHeld === undefined ? {} : { leaseHeld: options.leaseHeld }),
  });
  const supervisor = new Supervisor({ scheduler, events: publisher, clock });
  const spaceStore = options.spaceStore ?? new InMemorySpaceStore();
  const spaces = new SpaceManager({ store: spaceStore, publisher, clock });
  const git = await GitLayer.open({ dir: join(dir, "state"), clock });
  const state = await StateStore.open({ root: join(dir, "state"), clock });
  const memory = await MemoryStore.open({
    url: join(dir, "memory.db"),
    embedder: new HashingEmbedder(),
    clock,
    events: publisher,
  });
  const audit = new InMemoryAuditSink();
  const tools = new ToolRegistry({
    audit,
    publisher,
    clock,
    ...(options.approvalStore === undefined ? {} : { approvalStore: options.approvalStore }),
    ports: { memory: new MemoryStoreToolPort(memory), space: new SpaceManagerToolPort(spaces), ...options.ports },
  }).register(...builtinTools(), ...(options.extraTools ?? []));
  runtime = createRuntime({
    model: options.model,
    clock,
    publisher,
    scheduler,
    supervisor,
    spaces,
    state,
    git,
    tools,
    memory,
    budgets,
    retry: { maxRetries: 0 },
    workspaceRoot: join(dir, "agents"),
    ...(journal === undefined ? {} : { journal }),
    ...options.runtime,
  });
  return {
    dir,
    runtime,
    publisher,
    scheduler,
    supervisor,
    spaces,
    spaceStore,
    state,
    git,
    memory,
    audit,
    tools,
    budgets,
    ...(database === undefined ? {} : { database }),
    ...(taskStore === undefined ? {} : { taskStore }),
    ...(journal === undefined ? {} : { journal }),
    async close(closeOptions = {}) {
      await runtime.close();
      await supervisor.shutdown({ timeoutMs: 2_000 });
      await scheduler.drain({ timeoutMs: 2_000 });
      await runtime.runs.settled();
      await taskStore?.close();
      await journal?.close();
      database?.close();
      await memory.close();
      await state.close();
      await git.close();
      if (!closeOptions.keepDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
