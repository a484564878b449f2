/**
 * The composition root: boots every module in dependency order on its embedded defaults in
 * `$OXIOS_HOME` and registers the reverse shutdown with the daemon's ShutdownSequence.
 *
 * Boot: state/ (StateStore + GitLayer) → oxios.db audit store → EventBus + AuditTrail +
 * AuditSubscriber → approval records → memory (embedder loaded) → spaces → durable scheduler
 * and run journal (one shared handle, one group commit) → supervisor → exec sandbox → tool
 * registry (gate + ports) → interop (MCP servers, remote A2A agents, browser) → the control
 * plane (profiles, skills, schedules checked against the kernel) → runtime (model, breakers,
 * budgets, journal, profiles) → runs (the previous process's runs resumed) → scheduled goals
 * (missed firings) → the A2A server.
 * Shutdown (steps added by `main.ts` around the HTTP server): stop intake (A2A relays and
 * schedule firings too) → drain the scheduler → stop agents → close the exec sandbox (spares)
 * → close interop (MCP clients, browser) → flush memory writes → flush audit → flush git
 * commits → close databases → remove the pid file.
 */

import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { type Clock, KernelError, type Logger, noRedaction, type Redactor, systemClock } from "@oxios/core";
import type { ShutdownSequence } from "@oxios/daemon";
import { type Database, openDatabase } from "@oxios/database";
import { AuditSubscriber, AuditTrail, EventBus } from "@oxios/event-bus";
import { LibsqlAuditStore } from "@oxios/event-bus/libsql";
import { type Embedder, HashingEmbedder, MemoryStore, UniversalSentenceEncoderEmbedder } from "@oxios/memory";
import {
  createRuntime,
  isFinished,
  MemoryStoreToolPort,
  type ResolvedModel,
  type Runtime,
  resolveModel,
  SkillToolPort,
  SpaceManagerToolPort,
  TokenBudgets,
} from "@oxios/runtime";
import { LibsqlRunJournal } from "@oxios/runtime/libsql";
import { Scheduler } from "@oxios/scheduler";
import { LibsqlGoalScheduleStore, LibsqlTaskStore } from "@oxios/scheduler/libsql";
import { SpaceManager } from "@oxios/space";
import { LibsqlSpaceStore } from "@oxios/space/libsql";
import { GitLayer, StateStore } from "@oxios/state-store";
import { Supervisor } from "@oxios/supervisor";
import { type ApprovalBroker, builtinTools, type Sandbox, type SchedulePort, ToolRegistry } from "@oxios/tools";
import { type A2aServer, createA2aServer } from "@oxios/tools/a2a";
import { KernelA2aPort } from "./a2a-port.ts";
import { auditSink, kernelToolPort } from "./adapters.ts";
import { LibsqlApprovalStore } from "./approval-store.ts";
import { ClusterNode } from "./cluster.ts";
import type { KernelConfig } from "./config.ts";
import { ControlPlane, resolveControlPlane } from "./control-plane.ts";
import { KernelErrorCode } from "./error-codes.ts";
import { createExecSandbox, execSandboxStatus, UNSANDBOXED_WARNING } from "./exec-sandbox.ts";
import { Housekeeping } from "./housekeeping.ts";
import { Interop } from "./interop.ts";
import type { OtelTracing } from "./otel-tracing.ts";
import { type RunRecovery, RunService } from "./runs.ts";
import { ScheduleService } from "./schedules.ts";
import { SessionService } from "./sessions.ts";

export const KERNEL_VERSION = "0.1.0";

/**
 * The most audit entries one transaction takes. A transaction holds the event loop (the driver
 * is synchronous; ~30 µs an entry), and on the runs handle a commit costs no fsync: bounded
 * transactions let `/health` and acknowledgements be answered between them under a burst.
 */
const AUDIT_TRANSACTION_ENTRIES = 256;

export interface Kernel {
  config: KernelConfig;
  clock: Clock;
  logger: Logger;
  startedAt: number;
  bus: EventBus;
  audit: AuditTrail;
  auditSubscriber: AuditSubscriber;
  memory: MemoryStore;
  spaces: SpaceManager;
  scheduler: Scheduler;
  supervisor: Supervisor;
  tools: ToolRegistry;
  /** The OS sandbox exec runs programs in (`exec_sandbox`). */
  execSandbox: Sandbox;
  model: ResolvedModel;
  runtime: Runtime;
  runs: RunService;
  /** Agent profiles and skills of the configuration, replaced on reload. */
  control: ControlPlane;
  /** Pending and decided approvals of tool calls (the gate's broker). */
  approvals: ApprovalBroker;
  schedules: ScheduleService;
  sessions: SessionService;
  /** Ready once booted (and the HTTP server listens); draining from the first shutdown step on. */
  lifecycle: { ready: boolean; draining: boolean };
  /** Runs and their steps in `oxios.db`. */
  journal: LibsqlRunJournal;
  /** The one handle on `oxios.db` the durable queue, the run journal, approvals and the audit trail share. */
  runsDatabase: Database;
  /** This kernel as a node of the cluster sharing its served database; undefined on a file. */
  cluster: ClusterNode | undefined;
  /** MCP servers, remote A2A agents and the browser. */
  interop: Interop;
  housekeeping: Housekeeping;
  /** The kernel as an A2A agent: its card and JSON-RPC endpoint, mounted by the HTTP API. */
  a2a: A2aServer;
  state: StateStore;
  git: GitLayer;
  /** Runs a previous process left unfinished that could not continue (failed `RUN_INTERRUPTED`). */
  interrupted: Array<{ taskId: string; status: string }>;
  /** What the boot did with the previous process's runs. */
  recovery: RunRecovery;
  /** The trace exporter (`otel_endpoint`); undefined when tracing is off. */
  tracing?: OtelTracing;
  /** Module → ready; for `/api/status`. */
  modules: Record<string, string>;
}

export interface BootOptions {
  config: KernelConfig;
  logger: Logger;
  clock?: Clock;
  /** Told about slow first-run work (embedding model load, migrations). */
  progress?: (message: string) => void;
  /**
   * Replaces known secrets in tool results and in everything stored (audit trail, memory,
   * conversation buffers, state files and git history). Default `noRedaction`.
   */
  redactor?: Redactor;
}

/** The public URL of the A2A JSON-RPC endpoint, from the configured host and port. */
export function a2aEndpointUrl(config: Pick<KernelConfig, "host" | "port">): string {
  const wildcard = config.host === "0.0.0.0" || config.host === "::";
  const host = wildcard ? hostname() : config.host.includes(":") ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}/a2a`;
}

/** `ready`, or `degraded (reasons)`: the word every module of `/api/status` uses. */
export function memoryModuleState(memory: Pick<MemoryStore, "health">): string {
  const health = memory.health();
  return health.status === "ok" ? "ready" : `degraded (${health.reasons.join("; ")})`;
}

function embedderFor(config: KernelConfig): Embedder | undefined {
  if (config.embedder === "hashing") return new HashingEmbedder();
  if (config.embedder === "keyword-only") return undefined;
  return new UniversalSentenceEncoderEmbedder();
}

/**
 * Opens every module. Each opened resource is registered with `shutdown` in the reverse
 * order before the next one opens, so a failure half-way through still closes what is open.
 */
export async function bootKernel(options: BootOptions, shutdown: ShutdownSequence): Promise<Kernel> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const progress = options.progress ?? ((message: string) => logger.info(message));
  const redactor = options.redactor ?? noRedaction;
  const startedAt = clock.now();
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  // One database for every store (`database_url`: the file `oxios.db` in the home, another file,
  // or a sqld server); each store opens its own connection to it.
  const database = {
    url: config.databaseUrl,
    ...(config.databaseAuthToken === undefined ? {} : { authToken: config.databaseAuthToken }),
  };
  const stateRoot = join(config.home, "state");
  const closers: Array<{ name: string; close: () => Promise<unknown> | unknown }> = [];
  const step = (name: string, started: number) =>
    logger.info("module ready", { module: name, ms: Math.round(clock.now() - started) });

  try {
    let started = clock.now();
    const git = await GitLayer.open({ dir: stateRoot, clock, logger, redactor, autoCommit: { intervalMs: 5_000 } });
    const state = await StateStore.open({ root: stateRoot, clock, logger, changeSink: git, redactor });
    step("state", started);

    started = clock.now();
    const bus = new EventBus({ logger, now: () => clock.now(), source: "kernel" });
    // The queue, the run journal and the audit trail share one handle, so a run's record and its
    // scheduler task are written in one group commit: acknowledging a run is one transaction.
    // `normal`: in WAL mode a commit survives any crash of the process (the journal's and the
    // audit trail's promise) without an fsync on the event loop per commit; a power loss may take
    // the last commits of all three alike (never corrupts; the audit chain stays whole, shorter).
    const runsDatabase = await openDatabase({ ...database, logger, synchronous: "normal" });
    closers.push({ name: "runs database", close: () => runsDatabase.close() });
    const auditStore = await LibsqlAuditStore.open({ database: runsDatabase, logger });
    closers.push({ name: "audit store", close: () => auditStore.close() });
    const audit = await AuditTrail.open({
      store: auditStore,
      publisher: bus,
      clock,
      logger,
      redactor,
      // The appends made in one turn of the event loop (the tool-gate decisions of the runs whose
      // model answers arrived together) share one transaction: one commit on the loop, not one each.
      gather: () => new Promise<void>((resolve) => setImmediate(resolve)),
      sha256: (text) => createHash("sha256").update(text).digest("hex"),
      maxBatch: AUDIT_TRANSACTION_ENTRIES,
    });
    // Events are gathered for 50 ms per audit transaction: under load a few transactions a
    // second instead of one per tick, each at most AUDIT_TRANSACTION_ENTRIES long.
    const auditSubscriber = new AuditSubscriber({
      bus,
      trail: audit,
      clock,
      logger,
      windowMs: 50,
      batchSize: AUDIT_TRANSACTION_ENTRIES,
    });
    const approvalStore = await LibsqlApprovalStore.open({ ...database, logger });
    closers.push({ name: "approval records", close: () => approvalStore.close() });
    step("audit", started);

    started = clock.now();
    const embedder = embedderFor(config);
    if (embedder instanceof UniversalSentenceEncoderEmbedder) progress("loading the embedding model (USE lite)…");
    const memory = await MemoryStore.open({
      ...database,
      clock,
      logger,
      events: bus,
      redactor,
      ...(embedder === undefined ? { keywordOnly: true } : { embedder }),
    });
    closers.push({ name: "memory", close: () => memory.close() });
    if (embedder !== undefined) await embedder.embed(["oxios warm-up"]);
    if (embedder instanceof UniversalSentenceEncoderEmbedder) {
      progress(`embedding model loaded in ${Math.round(clock.now() - started)} ms`);
    }
    step("memory", started);

    started = clock.now();
    const spaceStore = await LibsqlSpaceStore.open({ ...database, logger });
    closers.push({ name: "spaces", close: () => spaceStore.close() });
    const spaces = new SpaceManager({ store: spaceStore, publisher: bus, clock, logger, redactor });
    await spaces.ensureDefault();
    step("spaces", started);

    started = clock.now();
    // The runtime (made below) admits by budgets, profile windows and profile caps; until it
    // exists, the budgets alone.
    let runtimeRef: Runtime | undefined;
    let schedulerRef: Scheduler | undefined;
    const budgets = new TokenBudgets({ clock, onWindowReset: () => schedulerRef?.reconsider() });
    // A served database makes this kernel a cluster node (see cluster.ts): its queued tasks are
    // written as the node's, and admission also needs the cluster's grant.
    const clustered = runsDatabase.served;
    const taskStore = await LibsqlTaskStore.open({
      database: runsDatabase,
      logger,
      ...(clustered ? { cluster: { node: config.nodeId, leaseMs: config.clusterLeaseMs } } : {}),
    });
    closers.push({ name: "task queue", close: () => taskStore.close() });
    // In a cluster a node's journal writes for a run another node took over are not stored.
    const journal = await LibsqlRunJournal.open({
      database: runsDatabase,
      logger,
      redactor,
      ...(clustered ? { leaseOwner: config.nodeId } : {}),
    });
    closers.push({ name: "run journal", close: () => journal.close() });
    let clusterRef: ClusterNode | undefined;
    const scheduler = new Scheduler({
      clock,
      events: bus,
      logger,
      store: taskStore,
      ...(clustered ? { ownerId: config.nodeId } : {}),
      maxConcurrent: config.maxConcurrent,
      // In a cluster the rate bucket is the database's, shared by every node (cluster.ts).
      ratePerMinute: clustered ? Number.POSITIVE_INFINITY : config.ratePerMinute,
      canAdmit: (task) => runtimeRef?.canAdmit(task) ?? budgets.canAdmit(task),
      // In a cluster a task waits for this node's `admitBatch` to grant it (cluster.ts).
      ...(clustered ? { waitForGrant: true } : {}),
      // A run heartbeats right before a tool call: a node unsure of its leases stops it there.
      ...(clustered ? { leaseHeld: (taskId) => clusterRef?.holdsLeases(taskId) === true } : {}),
    });
    schedulerRef = scheduler;
    const supervisor = new Supervisor({ scheduler, events: bus, clock, logger });
    step("scheduler", started);

    started = clock.now();
    const execSandbox = createExecSandbox(config, { logger: logger.child({ module: "sandbox" }), clock });
    closers.push({ name: "exec sandbox", close: () => execSandbox.close() });
    const sandboxStatus = await execSandboxStatus(execSandbox);
    if (config.execSandbox === "none") logger.warn(UNSANDBOXED_WARNING);
    else if (!sandboxStatus.available) {
      logger.error("exec is refused (EXEC_SANDBOX_UNAVAILABLE) until an OS sandbox can start", {
        sandbox: sandboxStatus.kind,
        reason: sandboxStatus.reason,
      });
    }
    let schedulesRef: ScheduleService | undefined;
    const schedulePort: SchedulePort = {
      list: (options) => requireSchedules(schedulesRef).toolPort().list(options),
      put: (input, caller, options) => requireSchedules(schedulesRef).toolPort().put(input, caller, options),
      remove: (name, caller, options) => requireSchedules(schedulesRef).toolPort().remove(name, caller, options),
      run: (name, caller, options) => requireSchedules(schedulesRef).toolPort().run(name, caller, options),
    };
    let controlRef: ControlPlane | undefined;
    const tools = new ToolRegistry({
      ...(execSandbox.workspaceOwner === undefined ? {} : { workspaceOwner: execSandbox.workspaceOwner }),
      audit: auditSink(audit),
      publisher: bus,
      clock,
      logger,
      redactor,
      approvalStore,
      approvalTimeoutMs: config.approvalTimeoutMs,
      approvalDefault: config.approvalDefault,
      ports: {
        memory: new MemoryStoreToolPort(memory),
        space: new SpaceManagerToolPort(spaces),
        kernel: kernelToolPort(supervisor, scheduler),
        skills: new SkillToolPort((agentId) => runtimeRef?.skillsOf(agentId) ?? controlRef?.skills() ?? []),
        schedules: schedulePort,
      },
    }).register(...builtinTools({ exec: { sandbox: execSandbox } }));
    // An approval a previous process left pending survives when its run resumes from the
    // journal: the resumed run waits on that same approval (cancelled below if the run does not).
    const unfinishedRuns = new Set<string>();
    for (const record of tools.approvals.list({ status: "pending", limit: Number.MAX_SAFE_INTEGER })) {
      if (record.runId === undefined || unfinishedRuns.has(record.runId)) continue;
      const run = await journal.get(record.runId);
      if (run !== undefined && !isFinished(run.status)) unfinishedRuns.add(record.runId);
    }
    const cancelledApprovals = tools.approvals.recoverInterrupted({ resuming: (runId) => unfinishedRuns.has(runId) });
    if (cancelledApprovals.length > 0) {
      logger.warn("approvals left pending by the previous process were cancelled", {
        approvals: cancelledApprovals.map((record) => record.approvalId),
      });
    }
    step("tools", started);

    started = clock.now();
    const interop = new Interop({ config, clock, logger, version: KERNEL_VERSION });
    closers.push({ name: "interop", close: () => interop.close() });
    await interop.start(tools, bus);
    step("interop", started);

    started = clock.now();
    const tracing = await openTracing(config, logger);
    if (tracing !== undefined) closers.push({ name: "trace exporter", close: () => tracing.shutdown() });
    // The key is already resolved (llm_api_key, else the provider's own variable) by the configuration.
    const model = resolveModel(config.model, {
      env: {},
      ...(config.llmApiKey ? { apiKey: config.llmApiKey } : {}),
      ...(config.llmBaseUrl ? { baseUrl: config.llmBaseUrl } : {}),
    });
    // Profiles, skills and schedules, checked against the tools and models of this kernel.
    const control = new ControlPlane(await resolveControlPlane(config, { model, toolNames: tools.names() }), budgets);
    controlRef = control;
    const runtime = createRuntime({
      identity: {
        permissions: {
          ...(config.agentNetwork ? { network: true } : {}),
          ...(config.execBinaries === undefined ? {} : { exec: { binaries: config.execBinaries } }),
        },
      },
      model,
      clock,
      logger,
      publisher: bus,
      scheduler,
      supervisor,
      spaces,
      state,
      git,
      tools,
      memory,
      budgets,
      redactor,
      journal,
      keepWorkspaces: config.keepWorkspaces,
      workspaceRoot: join(config.home, "agents"),
      profiles: control.profile,
      skills: control.skills,
      ...(tracing === undefined ? {} : { tracer: tracing }),
    });
    runtimeRef = runtime;
    const runs = new RunService({
      runtime,
      scheduler,
      journal,
      clock,
      logger,
      maxResumes: config.maxResumes,
      // A long poll for a run another node holds reads the shared journal until it ends; one
      // kernel holds its queue alone and settles its tasks against the journal at boot.
      ...(clustered ? { journalPollMs: 250 } : { ownQueue: { database: runsDatabase, taskStore } }),
    });
    const cluster = clustered
      ? new ClusterNode({
          id: config.nodeId,
          url: a2aEndpointUrl(config).replace(/\/a2a$/, ""),
          database: runsDatabase,
          taskStore,
          scheduler,
          bus,
          clock,
          logger: logger.child({ module: "cluster" }),
          maxConcurrent: config.maxConcurrent,
          limits: () => ({ profileCaps: control.profileCaps(), ratePerMinute: config.ratePerMinute }),
          leaseMs: config.clusterLeaseMs,
          maxAttempts: config.maxResumes + 1,
          resume: (lease) => runtime.runs.resume(lease),
          conclude: (taskId) =>
            runtime.runs.conclude(taskId, {
              code: KernelErrorCode.runInterrupted,
              message: `the run's node stopped while it was running, ${config.maxResumes} times; it is not resumed again`,
            }),
          journalledEnd: async (taskId) => {
            const status = (await journal.get(taskId))?.status;
            return status === "completed" || status === "failed" || status === "cancelled" ? status : undefined;
          },
        })
      : undefined;
    // In a cluster the previous process's runs are in the shared queue: admission hands them
    // to whichever node takes them (this one's first, once it has joined).
    const recovery = cluster === undefined ? await runs.recover() : { resumed: [], concluded: [] };
    if (cluster !== undefined) {
      cluster.start();
      clusterRef = cluster;
      closers.push({ name: "cluster", close: () => cluster.leave() });
    }
    for (const run of recovery.concluded) tools.approvals.cancelRestored(run.taskId);
    const interrupted = recovery.concluded.filter((run) => run.status === "failed");
    if (interrupted.length > 0) {
      // One line however many: a shutdown with thousands of hung runs must not flood the log.
      logger.warn("runs interrupted by the previous shutdown could not continue (GET /api/status lists them)", {
        count: interrupted.length,
        first: interrupted.slice(0, 5).map((run) => run.taskId),
      });
    }
    step("runtime", started);

    started = clock.now();
    const scheduleStore = await LibsqlGoalScheduleStore.open({ ...database, logger });
    closers.push({ name: "schedule store", close: () => scheduleStore.close() });
    const schedules = new ScheduleService({
      clock,
      logger: logger.child({ module: "schedules" }),
      events: bus,
      store: scheduleStore,
      runs,
      profileExists: (name) => control.profile(name) !== undefined,
    });
    schedules.open(control.schedules());
    schedulesRef = schedules;
    closers.push({ name: "schedules", close: () => schedules.close() });
    const sessions = new SessionService({ spaces, state });
    step("schedules", started);

    started = clock.now();
    const housekeeping = new Housekeeping({
      clock,
      logger: logger.child({ module: "housekeeping" }),
      state,
      memory,
      journal,
      taskStore,
      runRetention: { count: config.runRetentionCount, days: config.runRetentionDays },
    });
    closers.push({ name: "housekeeping", close: () => housekeeping.stop() });
    await housekeeping.start();
    step("housekeeping", started);

    const a2a = createA2aServer({
      card: {
        name: "oxios",
        description: "An Oxios kernel: give it a goal and one of its agents works on it with its tools.",
        version: KERNEL_VERSION,
        url: a2aEndpointUrl(config),
        skills: [
          {
            id: "run-goal",
            name: "Run a goal",
            description: "Runs the message as a goal with an agent (memory, files, exec, MCP, A2A and browser tools).",
            tags: ["general", "tools", "memory", "files"],
            examples: ["list the files", "remember that the deploy freeze starts on December 20"],
          },
        ],
      },
      kernel: new KernelA2aPort({ runs, logger: logger.child({ module: "a2a" }) }),
      logger: logger.child({ module: "a2a" }),
    });

    const kernel: Kernel = {
      config,
      clock,
      logger,
      startedAt,
      bus,
      audit,
      auditSubscriber,
      memory,
      spaces,
      scheduler,
      supervisor,
      tools,
      execSandbox,
      model,
      runtime,
      runs,
      control,
      approvals: tools.approvals,
      schedules,
      sessions,
      lifecycle: { ready: false, draining: false },
      journal,
      runsDatabase,
      cluster,
      interop,
      housekeeping,
      a2a,
      state,
      git,
      interrupted: interrupted.map((run) => ({ taskId: run.taskId, status: run.status })),
      recovery,
      ...(tracing === undefined ? {} : { tracing }),
      modules: {
        state: "ready",
        git: "ready",
        bus: "ready",
        audit: "ready",
        memory: memoryModuleState(memory),
        spaces: "ready",
        scheduler: "ready",
        supervisor: "ready",
        tools: "ready",
        sandbox: sandboxStatus.available ? sandboxStatus.kind : `${sandboxStatus.kind} (unavailable: exec refused)`,
        mcp: interop.mcpState(),
        browser: interop.browser === undefined ? "off" : "ready",
        runtime: "ready",
        ...(cluster === undefined ? {} : { cluster: `node ${cluster.id}` }),
        schedules: "ready",
        a2a: "ready",
      },
    };
    registerShutdown(kernel, shutdown, { taskStore, spaceStore, scheduleStore, approvalStore, runsDatabase });
    closers.length = 0;
    return kernel;
  } catch (error) {
    for (const closer of closers.reverse()) {
      try {
        await closer.close();
      } catch (closeError) {
        logger.error("close after a failed boot failed", {
          resource: closer.name,
          error: KernelError.from(closeError),
        });
      }
    }
    throw error;
  }
}

/**
 * The trace exporter when `otel_endpoint` is set. Otherwise the OpenTelemetry SDK is not even
 * loaded and the runtime gets no tracer: tracing that is off costs nothing.
 */
async function openTracing(config: KernelConfig, logger: Logger): Promise<OtelTracing | undefined> {
  const endpoint = config.otelEndpoint;
  if (endpoint === undefined) return undefined;
  const { OtelTracing, withoutCredentials } = await import("./otel-tracing.ts");
  logger.info("exporting traces over OTLP", { endpoint: withoutCredentials(endpoint) });
  return new OtelTracing({
    endpoint,
    headers: config.otelHeaders,
    serviceVersion: KERNEL_VERSION,
    logger: logger.child({ module: "tracing" }),
  });
}

/**
 * Applies a reloaded configuration's profiles, skills and schedules (SIGHUP): checked like at
 * boot, then swapped whole; runs going on keep the profile they started with. Throws
 * `CONFIG_INVALID` (and changes nothing) when the new configuration is refused.
 */
export async function reloadControlPlane(kernel: Kernel, config: KernelConfig): Promise<void> {
  const resolved = await resolveControlPlane(config, { model: kernel.model, toolNames: kernel.tools.names() });
  kernel.control.apply(resolved);
  kernel.schedules.reconfigure(resolved.schedules);
}

function requireSchedules(schedules: ScheduleService | undefined): ScheduleService {
  if (schedules === undefined) {
    throw new KernelError(
      KernelErrorCode.controlPlaneNotReady,
      "scheduled goals are not open yet (the kernel is booting)",
    );
  }
  return schedules;
}

interface KernelStores {
  taskStore: LibsqlTaskStore;
  spaceStore: LibsqlSpaceStore;
  scheduleStore: LibsqlGoalScheduleStore;
  approvalStore: LibsqlApprovalStore;
  runsDatabase: Database;
}

function registerShutdown(kernel: Kernel, shutdown: ShutdownSequence, stores: KernelStores): void {
  const { taskStore, spaceStore, scheduleStore, approvalStore, runsDatabase } = stores;
  const { config } = kernel;
  shutdown
    .add(
      "drain scheduler",
      async () => {
        // Queued runs stay queued and running ones stay running in the journal: they resume at the
        // next start — in a cluster, on the other nodes (leaving releases what this node held).
        kernel.cluster?.stopAdmitting();
        const report = await kernel.scheduler.drain({ timeoutMs: config.drainTimeoutMs });
        await kernel.cluster?.leave();
        kernel.logger.info("scheduler drained", {
          ...report,
          released: report.released.length,
          aborted: report.aborted.length,
        });
      },
      { timeoutMs: config.drainTimeoutMs + 5_000 },
    )
    .add(
      "stop agents",
      async () => {
        await kernel.runtime.close();
        await kernel.runs.settled();
        await kernel.schedules.close();
        const report = await kernel.supervisor.shutdown({ timeoutMs: 5_000 });
        kernel.logger.info("agents stopped", { ...report });
      },
      { timeoutMs: 10_000 },
    )
    .add(
      "flush traces",
      // After the runs stopped (their spans ended): nothing they traced is lost at stop.
      () => kernel.tracing?.shutdown(),
      { timeoutMs: 10_000 },
    )
    .add("close exec sandbox", () => kernel.execSandbox.close(), { timeoutMs: 5_000 })
    .add("close interop", () => kernel.interop.close(), { timeoutMs: 10_000 })
    .add("stop housekeeping", () => kernel.housekeeping.stop(), { timeoutMs: 10_000 })
    .add("flush memory writes", () => kernel.memory.flush(), { timeoutMs: 10_000 })
    .add(
      "flush audit",
      async () => {
        await kernel.auditSubscriber.flush();
        await kernel.auditSubscriber.detach();
        await kernel.audit.flush();
      },
      { timeoutMs: 10_000 },
    )
    .add(
      "flush git commits",
      async () => {
        await kernel.state.close();
        const report = await kernel.git.close();
        if (report.errors.length > 0) throw report.errors[0];
      },
      { timeoutMs: 15_000 },
    )
    .add(
      "close databases",
      async () => {
        await kernel.memory.close();
        await spaceStore.close();
        await taskStore.close();
        await scheduleStore.close();
        await approvalStore.close();
        await kernel.journal.close();
        runsDatabase.close();
        await kernel.audit.close();
        kernel.bus.close();
      },
      { timeoutMs: 10_000 },
    );
}
