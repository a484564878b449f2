/**
 * Supervision trees with OTP semantics: child restart types (permanent, transient,
 * temporary), strategies (one_for_one, one_for_all, rest_for_one), restart intensity (at most
 * `maxRestarts` within `periodMs`, default 3 in 5 s), in-order start and reverse-order stop
 * with a per-child shutdown timeout before the child is abandoned.
 *
 * A child is a long-running function `start(signal)`: it resolving is a normal exit, it
 * rejecting is a crash. Exceeding the intensity stops every child in reverse start order and
 * fails the tree; a tree used as a child of another tree (`asChild()`) then crashes in its
 * parent, which applies its own strategy — escalation.
 *
 * Exits are handled one at a time on an owned queue, so a restart never interleaves with
 * another; `stop()` joins it.
 */

import { type Clock, CoreErrorCode, createConsoleLogger, KernelError, type Logger, systemClock } from "@oxios/core";
import { createEvent, type EventPublisher } from "@oxios/event-bus";
import { SupervisorErrorCode } from "./error-codes.ts";

export type RestartType = "permanent" | "transient" | "temporary";
export type RestartStrategy = "one_for_one" | "one_for_all" | "rest_for_one";

export interface ChildSpec {
  id: string;
  /** Default `permanent`. */
  restart?: RestartType;
  /** How long a stopping child may take to honour its signal. Default 5 s. */
  shutdownTimeoutMs?: number;
  start(signal: AbortSignal): Promise<void>;
}

export interface RestartIntensity {
  maxRestarts: number;
  periodMs: number;
}

export interface SupervisionTreeOptions {
  name: string;
  strategy?: RestartStrategy;
  intensity?: RestartIntensity;
  children: ChildSpec[];
  clock?: Clock;
  events?: EventPublisher;
  logger?: Logger;
}

export type ChildStatus = "running" | "stopped" | "exited" | "crashed";

export interface ChildInfo {
  id: string;
  status: ChildStatus;
  restarts: number;
}

export interface StopReport {
  /** Children that stopped within their shutdown timeout, in stop order. */
  stopped: string[];
  /** Children that ignored their signal past the timeout and were abandoned. */
  forced: string[];
}

interface ChildState {
  readonly spec: ChildSpec;
  status: ChildStatus;
  restarts: number;
  controller: AbortController | undefined;
  running: Promise<void> | undefined;
  /** Set while we stop it, so its exit is not taken for a crash. */
  stopping: boolean;
  generation: number;
}

export class SupervisionTree {
  readonly name: string;
  readonly #strategy: RestartStrategy;
  readonly #intensity: RestartIntensity;
  readonly #clock: Clock;
  readonly #events: EventPublisher | undefined;
  readonly #logger: Logger;
  readonly #children: ChildState[];
  readonly #restartTimes: number[] = [];
  #queue: Promise<void> = Promise.resolve();
  #state: "new" | "running" | "stopping" | "stopped" | "failed" = "new";
  #failure: KernelError | undefined;
  readonly #terminated: Promise<KernelError | undefined>;
  #resolveTerminated: (failure: KernelError | undefined) => void = () => undefined;

  constructor(options: SupervisionTreeOptions) {
    const intensity = options.intensity ?? { maxRestarts: 3, periodMs: 5_000 };
    if (!Number.isInteger(intensity.maxRestarts) || intensity.maxRestarts <= 0) {
      throw new KernelError(
        SupervisorErrorCode.intensityInvalid,
        `maxRestarts must be a positive integer, got ${intensity.maxRestarts}`,
      );
    }
    if (!Number.isFinite(intensity.periodMs) || intensity.periodMs <= 0) {
      throw new KernelError(
        SupervisorErrorCode.intensityInvalid,
        `periodMs must be positive, got ${intensity.periodMs}`,
      );
    }
    const ids = new Set<string>();
    for (const child of options.children) {
      if (typeof child.id !== "string" || child.id === "" || ids.has(child.id) || typeof child.start !== "function") {
        throw new KernelError(
          SupervisorErrorCode.childInvalid,
          `child spec "${String(child.id)}" is invalid or duplicated`,
        );
      }
      ids.add(child.id);
    }
    this.name = options.name;
    this.#strategy = options.strategy ?? "one_for_one";
    this.#intensity = intensity;
    this.#clock = options.clock ?? systemClock;
    this.#events = options.events;
    this.#logger = options.logger ?? createConsoleLogger({ level: "warn" });
    this.#children = options.children.map((spec) => ({
      spec,
      status: "stopped",
      restarts: 0,
      controller: undefined,
      running: undefined,
      stopping: false,
      generation: 0,
    }));
    this.#terminated = new Promise((resolve) => {
      this.#resolveTerminated = resolve;
    });
  }

  /** Starts every child in order. */
  start(): void {
    if (this.#state !== "new")
      throw new KernelError(SupervisorErrorCode.treeAlreadyStarted, `tree ${this.name} was already started`);
    this.#state = "running";
    for (const child of this.#children) this.#startChild(child);
  }

  /** Resolves when the tree ends: `undefined` after `stop()`, the failure after escalation. */
  terminated(): Promise<KernelError | undefined> {
    return this.#terminated;
  }

  children(): ChildInfo[] {
    return this.#children.map((child) => ({ id: child.spec.id, status: child.status, restarts: child.restarts }));
  }

  /** Stops every child in reverse start order and waits for pending restarts to finish. */
  async stop(): Promise<StopReport> {
    if (this.#state === "stopped" || this.#state === "failed") return { stopped: [], forced: [] };
    this.#state = "stopping";
    await this.#queue;
    const report = await this.#stopChildren([...this.#children].reverse());
    this.#state = "stopped";
    this.#resolveTerminated(undefined);
    return report;
  }

  /**
   * This tree as a child of another: it runs until stopped (normal exit) or until its own
   * intensity is exceeded (crash, so the parent's strategy applies).
   */
  asChild(options: { restart?: RestartType; shutdownTimeoutMs?: number } = {}): ChildSpec {
    return {
      id: this.name,
      ...options,
      start: async (signal) => {
        const onAbort = (): void => {
          this.stop().then(
            () => undefined,
            (error: unknown) => this.#logger.error("subtree stop failed", { tree: this.name, error }),
          );
        };
        signal.addEventListener("abort", onAbort, { once: true });
        this.start();
        const failure = await this.#terminated;
        signal.removeEventListener("abort", onAbort);
        if (failure !== undefined) throw failure;
      },
    };
  }

  #startChild(child: ChildState): void {
    const controller = new AbortController();
    const generation = child.generation + 1;
    child.generation = generation;
    child.controller = controller;
    child.status = "running";
    child.stopping = false;
    let running: Promise<void>;
    try {
      running = Promise.resolve(child.spec.start(controller.signal));
    } catch (error) {
      running = Promise.reject(error);
    }
    child.running = running.then(
      () => this.#onExit(child, generation, undefined),
      (error: unknown) => this.#onExit(child, generation, KernelError.from(error, SupervisorErrorCode.childCrashed)),
    );
  }

  #onExit(child: ChildState, generation: number, error: KernelError | undefined): void {
    if (child.generation !== generation) return;
    child.status = error === undefined ? "exited" : "crashed";
    child.controller = undefined;
    if (child.stopping || this.#state !== "running") return;
    this.#queue = this.#queue.then(
      () => this.#handleExit(child, error),
      (queueError: unknown) => this.#logger.error("supervision queue failed", { tree: this.name, error: queueError }),
    );
  }

  async #handleExit(child: ChildState, error: KernelError | undefined): Promise<void> {
    if (this.#state !== "running") return;
    const type = child.spec.restart ?? "permanent";
    const restart = type === "permanent" || (type === "transient" && error !== undefined);
    if (error !== undefined) {
      this.#logger.warn("child crashed", {
        tree: this.name,
        child: child.spec.id,
        code: error.code,
        message: error.message,
      });
    }
    if (!restart) return;

    const now = this.#clock.now();
    this.#restartTimes.push(now);
    while ((this.#restartTimes[0] ?? now) <= now - this.#intensity.periodMs) this.#restartTimes.shift();
    if (this.#restartTimes.length > this.#intensity.maxRestarts) {
      await this.#escalate(child, error);
      return;
    }

    const index = this.#children.indexOf(child);
    const affected =
      this.#strategy === "one_for_one"
        ? [child]
        : this.#strategy === "one_for_all"
          ? this.#children
          : this.#children.slice(index);
    const others = affected.filter((other) => other !== child && other.status === "running");
    await this.#stopChildren([...others].reverse());
    if (this.#state !== "running") return;
    for (const target of affected) {
      if (target !== child && (target.spec.restart ?? "permanent") === "temporary") continue;
      target.restarts += 1;
      this.#events?.publish(
        createEvent(
          "agent.restarted",
          { agentId: target.spec.id, restarts: target.restarts, reason: error?.message ?? "exited" },
          `supervision-tree:${this.name}`,
          this.#clock.now(),
        ),
      );
      this.#startChild(target);
    }
  }

  async #escalate(child: ChildState, error: KernelError | undefined): Promise<void> {
    this.#state = "stopping";
    const failure = new KernelError(
      SupervisorErrorCode.intensityExceeded,
      `tree ${this.name}: more than ${this.#intensity.maxRestarts} restarts in ${this.#intensity.periodMs} ms (last: ${child.spec.id})`,
      { cause: error, details: { tree: this.name, child: child.spec.id } },
    );
    this.#logger.error("restart intensity exceeded; stopping all children", { tree: this.name, child: child.spec.id });
    await this.#stopChildren([...this.#children].reverse());
    this.#state = "failed";
    this.#failure = failure;
    this.#resolveTerminated(failure);
  }

  /** The failure that ended the tree, if it failed. */
  get failure(): KernelError | undefined {
    return this.#failure;
  }

  /** Stops `children` one after another, in the order given. */
  async #stopChildren(children: ChildState[]): Promise<StopReport> {
    const report: StopReport = { stopped: [], forced: [] };
    for (const child of children) {
      if (child.status !== "running" || child.controller === undefined || child.running === undefined) continue;
      child.stopping = true;
      child.controller.abort(new KernelError(CoreErrorCode.aborted, `stopped by supervision tree ${this.name}`));
      const timeoutMs = child.spec.shutdownTimeoutMs ?? 5_000;
      let timer: { cancel(): void } | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = this.#clock.setTimer(() => resolve("timeout"), timeoutMs);
      });
      const outcome = await Promise.race([child.running.then(() => "stopped" as const), timedOut]);
      timer?.cancel();
      child.status = "stopped";
      child.controller = undefined;
      if (outcome === "timeout") {
        child.generation += 1;
        report.forced.push(child.spec.id);
        this.#logger.warn("child ignored its stop signal and was abandoned", {
          tree: this.name,
          child: child.spec.id,
          timeoutMs,
        });
      } else {
        report.stopped.push(child.spec.id);
      }
    }
    return report;
  }
}
