/**
 * Direct runs: `POST /api/runs` turns a goal into an agent run — spawned by the supervisor,
 * admitted by the scheduler, executed by the runtime's agent loop through the tool gate.
 * Every run record is kept in the state store (category `runs`), so a run the process lost
 * (SIGKILL, power loss) is found at the next start and reported as interrupted.
 */

import { type Clock, KernelError, type Logger, newId } from "@oxios/core";
import type { Priority } from "@oxios/event-bus";
import type { AgentLoop, AgentRunResult } from "@oxios/runtime";
import type { StateStore } from "@oxios/state-store";
import type { Supervisor } from "@oxios/supervisor";

export type RunStatus = "queued" | "running" | "completed" | "failed" | "cancelled";

export interface RunResult {
  text: string;
  finishReason: AgentRunResult["finishReason"];
  steps: number;
  toolCalls: Array<{ name: string; ok: boolean }>;
  usage: AgentRunResult["usage"];
}

export interface RunRecord {
  taskId: string;
  agentId: string;
  goal: string;
  priority: Priority;
  spaceId?: string;
  sessionId?: string;
  status: RunStatus;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  result?: RunResult;
  error?: { code: string; message: string };
}

export interface StartRunInput {
  goal: string;
  priority?: Priority;
  spaceId?: string;
  sessionId?: string;
}

export interface RunServiceOptions {
  supervisor: Supervisor;
  /** The loop for one run; the signal is the run's own (kill, timeout, lease). */
  loop: (signal: AbortSignal) => AgentLoop;
  state: StateStore;
  clock: Clock;
  logger: Logger;
}

const CATEGORY = "runs";
/** Finished runs kept in memory for `GET /api/runs/:id` (the state store keeps them all). */
const RETAIN = 1000;

export class RunService {
  readonly #options: RunServiceOptions;
  readonly #runs = new Map<string, RunRecord>();
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(options: RunServiceOptions) {
    this.#options = options;
  }

  /** Marks runs a previous process left queued or running as failed (`RUN_INTERRUPTED`). */
  async recoverInterrupted(): Promise<RunRecord[]> {
    const { state, clock } = this.#options;
    const interrupted: RunRecord[] = [];
    for (const entry of await state.list(CATEGORY)) {
      const stored = (await state.load(CATEGORY, entry.name)) as RunRecord | undefined;
      if (stored === undefined || (stored.status !== "queued" && stored.status !== "running")) continue;
      const record: RunRecord = {
        ...stored,
        status: "failed",
        finishedAt: clock.now(),
        error: { code: "RUN_INTERRUPTED", message: `the kernel stopped while this run was ${stored.status}` },
      };
      await state.save(CATEGORY, record.taskId, record);
      this.#remember(record);
      interrupted.push(record);
    }
    return interrupted;
  }

  /** Queues a run; resolves once it is recorded (durable), not when it finishes. */
  async start(input: StartRunInput): Promise<{ taskId: string; agentId: string }> {
    const { supervisor, clock, loop, logger } = this.#options;
    const goal = input.goal.trim();
    if (goal.length === 0) throw new KernelError("RUNTIME_EMPTY_MESSAGE", "goal must not be empty");
    const taskId = newId(clock.now());
    const priority = input.priority ?? "normal";
    const agent = supervisor.spawn<string, AgentRunResult>({
      name: `run-${taskId}`,
      priority,
      run: async (text, context) => {
        this.#update(taskId, { status: "running", startedAt: clock.now() });
        await this.#persist(this.#runs.get(taskId) as RunRecord);
        return loop(context.signal).run({
          agentId: context.agentId,
          runId: context.runId,
          seed: { id: taskId, goal: text },
          signal: context.signal,
          ...(input.sessionId ? { sessionId: input.sessionId } : {}),
          ...(input.spaceId ? { spaceId: input.spaceId } : {}),
        });
      },
    });
    const record: RunRecord = {
      taskId,
      agentId: agent.id,
      goal,
      priority,
      status: "queued",
      createdAt: clock.now(),
      ...(input.spaceId ? { spaceId: input.spaceId } : {}),
      ...(input.sessionId ? { sessionId: input.sessionId } : {}),
    };
    this.#remember(record);
    await this.#persist(record);
    const work = supervisor
      .run<AgentRunResult>(agent.id, goal)
      .then(
        (result) =>
          this.#update(taskId, {
            status: "completed",
            finishedAt: clock.now(),
            result: {
              text: result.text,
              finishReason: result.finishReason,
              steps: result.steps,
              usage: result.usage,
              toolCalls: result.toolCalls.map((call) => ({ name: call.name, ok: call.outcome.ok })),
            },
          }),
        (error: unknown) => {
          const failure = KernelError.from(error, "RUN_FAILED");
          const cancelled = failure.code === "ABORTED" || failure.code === "AGENT_KILLED";
          this.#update(taskId, {
            status: cancelled ? "cancelled" : "failed",
            finishedAt: clock.now(),
            error: { code: failure.code, message: failure.message },
          });
        },
      )
      .then(() => this.#persist(this.#runs.get(taskId) as RunRecord))
      .catch((error: unknown) =>
        logger.error("run record not persisted", { taskId, error: KernelError.from(error).message }),
      )
      .finally(() => this.#inFlight.delete(taskId));
    this.#inFlight.set(taskId, work);
    return { taskId, agentId: agent.id };
  }

  get(taskId: string): RunRecord | undefined {
    return this.#runs.get(taskId);
  }

  /** Loads a run a previous process recorded. */
  async load(taskId: string): Promise<RunRecord | undefined> {
    const known = this.#runs.get(taskId);
    if (known !== undefined) return known;
    if (!/^[0-9a-f-]{36}$/.test(taskId)) return undefined;
    return (await this.#options.state.load(CATEGORY, taskId)) as RunRecord | undefined;
  }

  list(): RunRecord[] {
    return [...this.#runs.values()];
  }

  /** Cancels a queued or running run: kills its agent (its signal aborts every tool). */
  async cancel(taskId: string, reason = "cancelled"): Promise<boolean> {
    const record = this.#runs.get(taskId);
    if (record === undefined || (record.status !== "queued" && record.status !== "running")) return false;
    await this.#options.supervisor.kill(record.agentId, reason);
    await this.#inFlight.get(taskId);
    return true;
  }

  /** Waits for every run record to be settled and persisted. */
  async settled(): Promise<void> {
    await Promise.all([...this.#inFlight.values()]);
  }

  #update(taskId: string, patch: Partial<RunRecord>): void {
    const record = this.#runs.get(taskId);
    if (record === undefined) return;
    Object.assign(record, patch);
  }

  #remember(record: RunRecord): void {
    this.#runs.set(record.taskId, record);
    if (this.#runs.size > RETAIN) {
      for (const [id, old] of this.#runs) {
        if (this.#runs.size <= RETAIN) break;
        if (old.status !== "queued" && old.status !== "running") this.#runs.delete(id);
      }
    }
  }

  #persist(record: RunRecord): Promise<void> {
    return this.#options.state.save(CATEGORY, record.taskId, record);
  }
}
