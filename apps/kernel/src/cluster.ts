/**
 * The kernel as one node of a cluster: several kernels sharing one served database (sqld).
 * Selected by the kernel whenever `database_url` is served — a served database is the only
 * way kernels share a queue, and one kernel on sqld is simply a cluster of one.
 *
 * Every node accepts runs into the shared durable queue as before (the run and its task are
 * written in one group commit, the task marked as this node's). The local `Scheduler` keeps
 * its synchronous admission, built with `waitForGrant`: a queued task enters it only once this
 * node took the task through `admitBatch` and `grant`ed it, `admitBatch` being the one write
 * transaction that admits under the cluster's limits: the global `max_concurrent`, each
 * profile's `max_concurrent` (counted over the runs of every node) and the rate bucket of the
 * run's provider (`rate_per_min`, one bucket per provider in the database, shared by every
 * node). Admission runs on a poll (other nodes' runs end without telling this one), when a
 * local task is queued, and when a local task ends.
 *
 * `admitBatch` hands a node its own queued tasks, and tasks nobody holds: those of a node whose
 * registration expired and those reclaimed from expired leases. A task this scheduler does not
 * hold is adopted (`Scheduler.adopt`) and continued from the run journal
 * (`runtime.runs.resume`), like a restart's recovery, until `max_resumes` is used up.
 *
 * The heartbeat (every third of `cluster_lease_ms`) records the node in `scheduler_nodes` and
 * extends all its leases in one transaction, then reclaims every expired lease in the
 * cluster. A run of this node whose lease the heartbeat no longer finds was reclaimed by
 * another node (this one missed its heartbeats) and is stopped here, so it runs in one place.
 * A stalled loop runs a run's continuations before that heartbeat, so a run also asks
 * `holdsLeases` (the scheduler's `leaseHeld`, at each model call and right before each tool
 * call) and stops before it acts once the node's leases have less than a third left.
 *
 * A node also stops its runs by itself when it cannot renew its leases: once heartbeats have
 * failed until a third of the lease is left (`#leasedUntil`, counted from the `now` its last
 * heartbeat that got through renewed them to), every run it holds stops, before the leases
 * lapse and another node may reclaim and continue them. That makes "one place" hold when the
 * database itself was away longer than the lease — the node cannot learn that its runs were
 * reclaimed until the database answers, and by then another node may be running them. The
 * margin (a third of the lease) is what the node's clock may lag the others' and a commit may
 * take. A node whose loop could not run its heartbeats at all (a frozen sqld blocks every
 * node's loop in its synchronous driver) finds its leases lapsed at its first heartbeat after:
 * it stops its runs, and reclaims nothing at that heartbeat, so that the other nodes, stalled
 * with it, stop theirs before anyone takes them over. A stopped run stops like an interrupted one (`SCHEDULER_TASK_INTERRUPTED`: no end is
 * recorded, in the journal or the queue) and continues from its journal wherever admission
 * next hands it.
 *
 * While sqld cannot be reached (`DATABASE_UNAVAILABLE`) heartbeats and admission fail and are
 * tried again; a run whose journal write fails stops without recording an end
 * (`SCHEDULER_TASK_INTERRUPTED`), and a task write that could not reach the server is lost
 * (`LibsqlTaskStore.lostWrites`). At the first heartbeat that gets through after that, the node
 * repairs what the outage left: each task the database says it holds running but its scheduler
 * does not run is finished as the journal has it ended, or handed back to the queue
 * (`releaseTask`) — admission then continues it from the journal, here or on another node.
 * Leases that expired meanwhile were reclaimed like a dead node's. A task this node queued
 * but did not start yet may have been taken by another node while this node's registration
 * had lapsed: the repair gives it up here (`Scheduler.release`), so it runs once, there. The
 * repair also runs at the first heartbeat after this node's leases lapsed without an error
 * (its loop stalled, or a frozen sqld blocked it).
 */

import { type Clock, KernelError, type Logger, type Timer } from "@oxios/core";
import { type Database, DatabaseErrorCode } from "@oxios/database";
import type { EventBus } from "@oxios/event-bus";
import { type Lease, type Scheduler, SchedulerErrorCode, type StoredTask } from "@oxios/scheduler";
import {
  type AdmitNextOptions,
  type AdmittedTask,
  admitBatch,
  batchMayLeaveTasks,
  type ClusterNodeRow,
  finishAdmitted,
  heartbeatNode,
  type LibsqlTaskStore,
  listNodes,
  reclaimExpired,
  releaseNode,
  releaseTask,
} from "@oxios/scheduler/libsql";

export interface ClusterNodeOptions {
  /** This node's id (`node_id`) and the URL of its HTTP API. */
  id: string;
  url: string;
  /** The handle the task queue and the run journal share. */
  database: Database;
  taskStore: LibsqlTaskStore;
  scheduler: Scheduler;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  /** Runs with a live lease in the whole cluster, at most. */
  maxConcurrent: number;
  /**
   * The per-profile caps and per-provider rates admission enforces cluster-wide, read at every
   * admission (a configuration reload changes them at once).
   */
  limits: () => Pick<AdmitNextOptions, "profileCaps" | "ratePerMinute" | "rateLimits">;
  /** How long a lease lasts without a heartbeat (`cluster_lease_ms`). */
  leaseMs: number;
  /** Admissions a run may have (`max_resumes + 1`); beyond that it is concluded. */
  maxAttempts: number;
  /** Continues an adopted run from the journal inside its lease (`runtime.runs.resume`). */
  resume: (lease: Lease) => Promise<unknown>;
  /** Ends an adopted run that used up its attempts (failed `RUN_INTERRUPTED`, or completed from the journal). */
  conclude: (taskId: string) => Promise<unknown>;
  /** How the run journal has a run ended, or undefined while it has it unfinished (or not at all). */
  journalledEnd: (taskId: string) => Promise<"completed" | "failed" | "cancelled" | undefined>;
}

/** A node as `GET /api/cluster` shows it. */
export interface ClusterNodeView {
  id: string;
  url: string;
  /** Since the node's last heartbeat, in ms. */
  heartbeatAgeMs: number;
  /** Whether its registration is live (it heartbeat within `cluster_lease_ms`). */
  live: boolean;
  /** Runs it holds a live lease on. */
  runs: number;
  /** The node answering. */
  self: boolean;
}

export class ClusterNode {
  readonly #options: ClusterNodeOptions;
  readonly #work = new Set<Promise<unknown>>();
  readonly #unsubscribe: Array<() => void> = [];
  #pollTimer: Timer | undefined;
  #soonTimer: Timer | undefined;
  #heartbeatTimer: Timer | undefined;
  #admitting = false;
  #beating = false;
  /** Set when the database could not be reached; the next heartbeat that gets through repairs (`#repair`). */
  #outage = false;
  /** `taskStore.lostWrites` at the last repair. */
  #lostWritesSeen = 0;
  /** Until when this node's leases are live: the `now` of its last heartbeat that got through, plus the lease. */
  #leasedUntil = 0;
  /** Set once this node stopped its runs because it could not renew its leases; cleared by a heartbeat that gets through. */
  #fenced = false;
  /** `holdsLeases` said no since the last heartbeat that got through (it warns once). */
  #unsure = false;
  /** Runs `holdsLeases` stopped: handed on by a heartbeat that gets through, once they stopped. */
  readonly #stoppedUnsure = new Set<string>();

  constructor(options: ClusterNodeOptions) {
    this.#options = options;
  }

  get id(): string {
    return this.#options.id;
  }

  /**
   * The scheduler's `leaseHeld` hook, asked when a run of this node heartbeats (at each model
   * call and right before each tool call): whether the node is still sure no other node runs
   * it — its last heartbeat that got through renewed its leases far enough that a third is left
   * (`#fence`). A loop stalled past that point runs the run's own continuations before its
   * heartbeat timer, so the run stops here (interrupted), before it acts; the next heartbeat
   * that gets through hands it on (`#handOn`) if this node still holds it.
   */
  holdsLeases(taskId: string): boolean {
    if (this.#sure()) return true;
    this.#stoppedUnsure.add(taskId);
    if (!this.#unsure) {
      this.#unsure = true;
      const now = this.#options.clock.now();
      this.#options.logger.warn("this node is no longer sure of its leases; its runs stop before they act", {
        node: this.#options.id,
        sinceRenewalMs: now - (this.#leasedUntil - this.#options.leaseMs),
      });
    }
    return false;
  }

  /**
   * Joins the cluster: whatever this node id held before (it died and came back) goes back to
   * the queue, the node registers, and admission and heartbeats start.
   *
   * Throws: the `DATABASE_*` codes (`DATABASE_UNAVAILABLE` when sqld cannot be reached).
   */
  start(): void {
    const { database, id, url, clock, leaseMs, bus, logger } = this.#options;
    const now = clock.now();
    const released = releaseNode(database, id, now);
    if (released > 0) logger.warn("released the runs this node held before it restarted", { node: id, released });
    heartbeatNode(database, { id, url }, now, leaseMs);
    this.#leasedUntil = now + leaseMs;
    this.#unsubscribe.push(
      bus.on(["task.queued", "task.completed", "task.failed", "task.cancelled", "task.reaped"], () => this.#soon(), {
        name: "cluster: admission",
      }),
    );
    this.#admitting = true;
    this.#beating = true;
    this.#armPoll();
    this.#armHeartbeat();
    this.#soon();
    logger.info("joined the cluster", { node: id, url, leaseMs });
  }

  /** Shutdown's first step: this node takes no more work (its heartbeat keeps its leases). */
  stopAdmitting(): void {
    this.#admitting = false;
    this.#pollTimer?.cancel();
    this.#pollTimer = undefined;
    this.#soonTimer?.cancel();
    this.#soonTimer = undefined;
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  /**
   * Leaves the cluster after the scheduler drained: heartbeats stop, and every task this node
   * still holds (queued, or running past the drain) goes back to the queue for the others.
   */
  async leave(): Promise<void> {
    this.stopAdmitting();
    this.#beating = false;
    this.#heartbeatTimer?.cancel();
    this.#heartbeatTimer = undefined;
    await Promise.allSettled([...this.#work]);
    const { database, id, clock, logger } = this.#options;
    const released = releaseNode(database, id, clock.now());
    logger.info("left the cluster", { node: id, released });
  }

  /** Every node registered in the database, this one included. */
  nodes(): ClusterNodeView[] {
    const now = this.#options.clock.now();
    return listNodes(this.#options.database, now).map((row: ClusterNodeRow) => ({
      id: row.id,
      url: row.url,
      heartbeatAgeMs: Math.max(0, now - row.heartbeatAt),
      live: row.expiresAt > now,
      runs: row.running,
      self: row.id === this.#options.id,
    }));
  }

  #armPoll(): void {
    if (!this.#admitting) return;
    const pollMs = Math.max(20, Math.min(250, Math.floor(this.#options.leaseMs / 20)));
    this.#pollTimer = this.#options.clock.setTimer(() => {
      this.#pollTimer = undefined;
      this.#admit();
      this.#armPoll();
    }, pollMs);
  }

  /** Admission soon (on the next turn of the event loop): a local task was queued or ended. */
  #soon(): void {
    if (!this.#admitting || this.#soonTimer !== undefined) return;
    this.#soonTimer = this.#options.clock.setTimer(() => {
      this.#soonTimer = undefined;
      this.#admit();
    }, 0);
  }

  /** Takes tasks through `admitBatch` while the cluster has room and the queue has work for this node. */
  #admit(): void {
    // A node unsure of its leases takes no more work: its runs would stop at their first heartbeat.
    if (!this.#admitting || !this.#sure()) return;
    const { database, taskStore, id, maxConcurrent, leaseMs, clock, logger } = this.#options;
    try {
      // Tasks queued on this node in the last few ms are in the group commit's buffer: commit them.
      this.#own(taskStore.flush());
      const limits = this.#options.limits();
      // One statement admits as many as the cluster's limits allow. Under profile caps or rate
      // limits a batch may leave a task that could run behind one held back (`admitBatch`): ask
      // again until a batch admits nothing.
      const again = batchMayLeaveTasks(limits);
      for (let taken = 0; taken < maxConcurrent; ) {
        const limit = maxConcurrent - taken;
        const tasks = admitBatch(database, { ...limits, node: id, maxConcurrent, now: clock.now(), leaseMs, limit });
        for (const task of tasks) {
          try {
            this.#take(task);
          } catch (error) {
            // Leased to this node but not taken: the next heartbeat's repair hands it on
            // (`#repair`), and the batch's other tasks are still taken.
            this.#outage = true;
            logger.warn("taking an admitted run failed; the next heartbeat hands it on", { taskId: task.id, error });
          }
        }
        taken += tasks.length;
        if (tasks.length === 0 || !again) break;
      }
    } catch (error) {
      this.#noteOutage(error);
      logger.warn("cluster admission failed; trying again at the next poll", { node: id, error });
    }
  }

  #take(task: AdmittedTask): void {
    const { scheduler, taskStore } = this.#options;
    const local = scheduler.get(task.id);
    if (local?.status === "queued") {
      scheduler.grant(task.id);
      return;
    }
    if (local?.status === "running") return;
    const stored = taskStore.get(task.id);
    if (stored === undefined) return;
    this.#own(this.#adoptOrEnd(task, stored));
  }

  /**
   * A task of another node, now leased to this one: ended as the journal has it when its run's
   * end is already journalled (its node stopped after the end, before the task's finish was
   * stored), concluded when it used up its attempts, otherwise adopted and continued from the
   * journal. What cannot be decided now (the database away) goes back to the queue.
   */
  async #adoptOrEnd(task: AdmittedTask, stored: StoredTask): Promise<void> {
    const { scheduler, database, id, maxAttempts, clock, logger, journalledEnd, conclude } = this.#options;
    try {
      let ended = await journalledEnd(task.id);
      if (ended === undefined && task.attempts > maxAttempts) {
        await conclude(task.id);
        ended = (await journalledEnd(task.id)) ?? "failed";
      }
      if (ended !== undefined) {
        finishAdmitted(database, task.id, id, ended, clock.now());
        this.#soon();
        return;
      }
    } catch (error) {
      logger.error("ending a run of another node failed; it goes back to the queue", { taskId: task.id, error });
      try {
        releaseTask(database, task.id, id);
      } catch (releaseError) {
        // Still leased to this node: the repair after the outage hands it on (`#handOn`).
        logger.error("handing the run back failed", { taskId: task.id, error: releaseError });
        this.#outage = true;
      }
      return;
    }
    logger.info("took over a run of another node", { taskId: task.id, node: id, attempt: task.attempts });
    // Adopted tasks come granted. `adopt` counts the admissions before this one; admitBatch already counted this one.
    scheduler.adopt({ ...stored, attempts: task.attempts - 1 }, (_record, _signal, lease) =>
      this.#options.resume(lease),
    );
  }

  #armHeartbeat(): void {
    if (!this.#beating) return;
    const { clock, leaseMs } = this.#options;
    const every = Math.max(1, Math.floor(leaseMs / 3));
    // While heartbeats fail, one comes exactly at the fence, so the runs stop before the leases lapse.
    const untilFence = this.#fence() - clock.now();
    const delay = this.#fenced || untilFence <= 0 ? every : Math.max(1, Math.min(every, untilFence));
    this.#heartbeatTimer = clock.setTimer(() => {
      this.#heartbeatTimer = undefined;
      this.#heartbeat();
      this.#armHeartbeat();
    }, delay);
  }

  /** The moment a node whose heartbeats keep failing stops its runs: a third of the lease before it lapses. */
  #fence(): number {
    return this.#leasedUntil - Math.floor(this.#options.leaseMs / 3);
  }

  /** Whether no other node can have taken this node's runs: its leases have more than a third left. */
  #sure(): boolean {
    return !this.#fenced && this.#options.clock.now() < this.#fence();
  }

  #heartbeat(): void {
    const { database, id, url, leaseMs, clock, scheduler, logger, taskStore } = this.#options;
    try {
      const now = clock.now();
      // This node's leases lapsed before it could renew them: its loop stalled, or the database
      // was away or frozen — then so were the other nodes, which have not yet learnt it, and
      // another node may have taken a run queued here meanwhile (the repair gives it up).
      const lapsed = now >= this.#leasedUntil;
      const repair = this.#outage || lapsed || taskStore.lostWrites !== this.#lostWritesSeen;
      // Before a repair, what this node's scheduler finished must be in the database.
      if (repair) this.#own(taskStore.flush());
      const held = new Set(heartbeatNode(database, { id, url }, now, leaseMs));
      this.#leasedUntil = now + leaseMs;
      this.#fenced = false;
      this.#unsure = false;
      if (repair) {
        this.#outage = false;
        this.#lostWritesSeen = taskStore.lostWrites;
        this.#repair(held);
      }
      for (const taskId of this.#stoppedUnsure) {
        const local = scheduler.get(taskId)?.status;
        if (local === "running") continue; // still stopping: the next heartbeat
        this.#stoppedUnsure.delete(taskId);
        // A repair just handed on every held run that is not running here.
        if (!repair && held.has(taskId) && local !== "queued") {
          this.#own(this.#handOn(taskId));
        }
      }
      for (const record of scheduler.running()) {
        if (held.has(record.id)) continue;
        logger.warn("the cluster reclaimed a run this node was running; stopping it here", { taskId: record.id });
        // Interrupted, not failed: the run goes on where the cluster handed it, and no end is recorded here.
        scheduler.abort(
          record.id,
          new KernelError(
            SchedulerErrorCode.taskInterrupted,
            `run ${record.id} was reclaimed: node ${id} missed its heartbeats`,
          ),
        );
      }
      // Reclaiming waits one heartbeat after a lapse, so every node that was stalled with this
      // one stops its runs (its own heartbeat finds its leases gone) before another takes them.
      const reclaimed = lapsed ? 0 : reclaimExpired(database, now);
      if (reclaimed > 0) {
        logger.warn("reclaimed the runs of a node that stopped heartbeating", { reclaimed });
        this.#soon();
      }
    } catch (error) {
      this.#noteOutage(error);
      logger.warn("cluster heartbeat failed; trying again at the next one", { node: id, error });
      if (!this.#fenced && clock.now() >= this.#fence()) this.#stopRuns();
    }
  }

  /**
   * This node could not renew its leases and they are about to lapse: every run it holds
   * stops now (interrupted: no end recorded), and so does every task granted but not started
   * (it leaves this scheduler like a run another node took). Once the database answers, the
   * repair and the reclaim hand them on to whichever node admission gives them, this one too.
   */
  #stopRuns(): void {
    const { scheduler, id, leaseMs, logger } = this.#options;
    this.#fenced = true;
    this.#outage = true;
    for (const record of scheduler.granted()) {
      scheduler.release(
        record.id,
        `run ${record.id} stops: node ${id} could not renew its lease (the database out of reach)`,
      );
    }
    const running = scheduler.running();
    logger.warn("this node could not renew its leases; its runs stop here and continue from their journals", {
      node: id,
      runs: running.length,
      leaseMs,
    });
    for (const record of running) {
      scheduler.abort(
        record.id,
        new KernelError(
          SchedulerErrorCode.taskInterrupted,
          `run ${record.id} stops: node ${id} could not renew its lease (the database out of reach)`,
        ),
      );
    }
  }

  #noteOutage(error: unknown): void {
    if (KernelError.from(error).code === DatabaseErrorCode.unavailable) this.#outage = true;
  }

  /**
   * After an outage: every task the database has this node holding running (`held`) that its
   * scheduler neither runs nor waits to start lost its end or was interrupted — finish it as
   * the journal has it ended, else hand it back to the queue.
   */
  #repair(held: ReadonlySet<string>): void {
    const { scheduler, taskStore, logger, id } = this.#options;
    for (const taskId of held) {
      const local = scheduler.get(taskId)?.status;
      if (local === "running" || local === "queued") continue;
      logger.warn("a run stopped here while the database was out of reach; handing it on", { taskId, node: id });
      this.#own(this.#handOn(taskId));
    }
    // Queued here but taken by another node while this node's registration had lapsed.
    for (const record of scheduler.queued()) {
      const stored = taskStore.get(record.id);
      if (stored?.status === "queued" || (stored?.status === "running" && stored.leaseOwner === id)) continue;
      logger.warn(
        "another node took a run queued here while this node could not renew its registration; it runs there",
        {
          taskId: record.id,
          node: id,
          holder: stored?.leaseOwner,
          status: stored?.status,
        },
      );
      scheduler.release(record.id, `run ${record.id} was taken by another node while node ${id} was out of reach`);
    }
  }

  async #handOn(taskId: string): Promise<void> {
    const { database, id, clock, journalledEnd } = this.#options;
    const ended = await journalledEnd(taskId);
    if (ended !== undefined) finishAdmitted(database, taskId, id, ended, clock.now());
    else releaseTask(database, taskId, id);
    this.#soon();
  }

  /** Keeps background work joined by `leave`; its failure is logged. */
  #own(work: Promise<unknown>): void {
    const settled: Promise<void> = work.then(
      () => {
        this.#work.delete(settled);
      },
      (error: unknown) => {
        this.#work.delete(settled);
        this.#options.logger.warn("cluster background work failed", { node: this.#options.id, error });
      },
    );
    this.#work.add(settled);
  }
}
