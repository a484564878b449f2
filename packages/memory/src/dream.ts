/**
 * Dreams: background consolidation of memory in four phases —
 *   1. orient: what is there (counts per tier, when the last dream finished);
 *   2. gather: decay scores refreshed and stored, prunable memories, near-duplicates among
 *      memories changed since the last dream, memories used often enough to promote;
 *   3. consolidate: a plan (merges, promotions, prunes);
 *   4. apply: the plan in one transaction (each action re-checked against the current rows),
 *      tier caps enforced, the embedding cache trimmed, the report written.
 * After each phase its output is checkpointed in `dream_state`, in a transaction, before the
 * next begins; a run that crashed or was cancelled resumes at the next phase (a checkpoint
 * older than one hour is stale and discarded). `dream-scheduler.ts` runs them on a schedule.
 */

import { type Clock, KernelError, type Logger, newId, throwIfAborted } from "@oxios/core";
import type { KernelEventPayloads, KernelEventType } from "@oxios/event-bus";
import { MemoryErrorCode } from "./error-codes.ts";
import {
  decayScore,
  isMemoryType,
  isProtectionLevel,
  isPrunable,
  MEMORY_TIERS,
  type MemoryTier,
  PROTECTION_LEVELS,
  type TierCaps,
} from "./lifecycle.ts";
import type { MemoryEntry, MemoryRow } from "./memory-entry.ts";
import { floatsFromBlob, type Sql } from "./sql.ts";
import type { VectorIndex } from "./vector-index.ts";

export const DREAM_PHASES = ["orient", "gather", "consolidate", "apply"] as const;
export type DreamPhase = (typeof DREAM_PHASES)[number];

const HOUR_MS = 3_600_000;
/** Preset intervals between dreams. */
export const DREAM_PRESETS = {
  frequent: 4 * HOUR_MS,
  daily: 24 * HOUR_MS,
  relaxed: 48 * HOUR_MS,
} as const;
export type DreamPreset = keyof typeof DREAM_PRESETS;

/** A checkpoint older than this is discarded instead of resumed. */
export const DREAM_CHECKPOINT_STALE_MS = HOUR_MS;
/** At most this many recently changed memories are checked for near-duplicates per dream. */
const DUPLICATE_SCAN_LIMIT = 500;
/** Accesses (within a day) that earn a promotion by one tier. */
const PROMOTE_ACCESS_COUNT = 3;

export interface DreamReport {
  runId: string;
  startedAt: number;
  completedAt: number;
  resumedAtPhase: DreamPhase | undefined;
  phases: Array<{ phase: DreamPhase; durationMs: number }>;
  total: number;
  byTier: Record<MemoryTier, number>;
  decayUpdated: number;
  merged: number;
  pruned: number;
  promoted: number;
  demoted: number;
  cacheTrimmed: number;
}

interface DreamData {
  startedAt: number;
  phases: Array<{ phase: DreamPhase; durationMs: number }>;
  orient?: { total: number; byTier: Record<MemoryTier, number>; since: number };
  gather?: { decayUpdated: number; prunable: string[]; duplicates: Array<[string, string]>; promotable: string[] };
  plan?: { merges: Array<{ keep: string; drop: string[] }>; promote: string[]; prune: string[] };
}

export interface DreamHost {
  sql: Sql;
  clock: Clock;
  logger: Logger;
  index: VectorIndex | undefined;
  caps: TierCaps;
  nearDuplicateDistance: number;
  embeddingCacheSize: number;
  signal: AbortSignal | undefined;
  publish<T extends KernelEventType>(type: T, payload: KernelEventPayloads[T]): void;
  deleteSeq(seq: number): void;
  enforceCaps(now: number): { demoted: number; pruned: string[] };
  decode(rows: MemoryRow[]): MemoryEntry[];
}

interface DecayRow {
  seq: number;
  id: string;
  memory_type: string;
  importance: number;
  protection: string;
  access_count: number;
  accessed_at: number;
  decay_rate: number;
  pinned: number;
  tier: string;
}

function saveCheckpoint(sql: Sql, runId: string, phase: DreamPhase, data: DreamData, now: number): void {
  sql.run(
    `INSERT INTO dream_state(slot, run_id, completed_phase, data, started_at, updated_at) VALUES (1, ?, ?, ?, ?, ?)
     ON CONFLICT(slot) DO UPDATE SET run_id = excluded.run_id, completed_phase = excluded.completed_phase,
       data = excluded.data, updated_at = excluded.updated_at`,
    [runId, phase, JSON.stringify(data), data.startedAt, now],
  );
}

function loadCheckpoint(
  host: DreamHost,
): { runId: string; next: number; data: DreamData; resumedAtPhase: DreamPhase } | undefined {
  const row = host.sql.get<{ run_id: string; completed_phase: string; data: string; updated_at: number }>(
    "SELECT run_id, completed_phase, data, updated_at FROM dream_state WHERE slot = 1",
  );
  if (row === undefined) return undefined;
  const completed = DREAM_PHASES.indexOf(row.completed_phase as DreamPhase);
  const now = host.clock.now();
  let data: DreamData | undefined;
  try {
    data = JSON.parse(row.data) as DreamData;
  } catch (error) {
    host.logger.warn("dream checkpoint did not decode; starting a fresh dream", { runId: row.run_id, error });
  }
  if (data === undefined || completed < 0 || completed >= DREAM_PHASES.length - 1) {
    host.sql.run("DELETE FROM dream_state WHERE slot = 1");
    return undefined;
  }
  if (now - row.updated_at > DREAM_CHECKPOINT_STALE_MS) {
    host.logger.info("discarding a stale dream checkpoint", { runId: row.run_id, ageMs: now - row.updated_at });
    host.sql.run("DELETE FROM dream_state WHERE slot = 1");
    return undefined;
  }
  return {
    runId: row.run_id,
    next: completed + 1,
    data,
    resumedAtPhase: DREAM_PHASES[completed + 1] as DreamPhase,
  };
}

function orient(host: DreamHost): NonNullable<DreamData["orient"]> {
  const byTier = { hot: 0, warm: 0, cold: 0 } as Record<MemoryTier, number>;
  let total = 0;
  for (const row of host.sql.all<{ tier: string; n: number }>(
    "SELECT tier, count(*) AS n FROM memories GROUP BY tier",
  )) {
    total += row.n;
    if ((MEMORY_TIERS as readonly string[]).includes(row.tier)) byTier[row.tier as MemoryTier] = row.n;
  }
  const since = host.sql.get<{ at: number | null }>("SELECT max(completed_at) AS at FROM dream_reports")?.at ?? 0;
  return { total, byTier, since };
}

function prunableRow(row: DecayRow, now: number): boolean {
  if (!isMemoryType(row.memory_type) || !isProtectionLevel(row.protection)) return false;
  return isPrunable(
    {
      decayRate: row.decay_rate,
      importance: row.importance,
      protection: row.protection,
      accessCount: row.access_count,
      accessedAt: row.accessed_at,
      pinned: row.pinned === 1,
      type: row.memory_type,
    },
    now,
  );
}

function gather(host: DreamHost, since: number): NonNullable<DreamData["gather"]> {
  const now = host.clock.now();
  const rows = host.sql.all<DecayRow>(
    "SELECT seq, id, memory_type, importance, protection, access_count, accessed_at, decay_rate, pinned, tier FROM memories",
  );
  const prunable: string[] = [];
  const promotable: string[] = [];
  host.sql.transaction(() => {
    for (const row of rows) {
      const protection = isProtectionLevel(row.protection) ? row.protection : "none";
      const score = decayScore(
        {
          decayRate: row.decay_rate,
          importance: row.importance,
          protection,
          accessCount: row.access_count,
          accessedAt: row.accessed_at,
        },
        now,
      );
      host.sql.run("UPDATE memories SET decay_score = ? WHERE seq = ?", [score, row.seq]);
      if (prunableRow(row, now)) prunable.push(row.id);
      else if (
        row.tier !== "hot" &&
        row.access_count >= PROMOTE_ACCESS_COUNT &&
        now - row.accessed_at <= 24 * HOUR_MS &&
        score >= 0.5
      ) {
        promotable.push(row.id);
      }
    }
  });
  const duplicates: Array<[string, string]> = [];
  const index = host.index;
  if (index !== undefined) {
    const recent = host.sql.all<{ seq: number; id: string; vector: unknown }>(
      `SELECT m.seq, m.id, e.vector FROM memories m JOIN memory_embeddings e ON e.memory_seq = m.seq
       WHERE m.updated_at >= ? ORDER BY m.updated_at DESC LIMIT ?`,
      [since, DUPLICATE_SCAN_LIMIT],
    );
    const seen = new Set<string>();
    for (const row of recent) {
      throwIfAborted(host.signal);
      const vector = floatsFromBlob(row.vector);
      const hit = index.nearDuplicate(vector, host.nearDuplicateDistance, row.seq);
      if (hit === undefined) continue;
      const other = host.sql.get<{ id: string }>("SELECT id FROM memories WHERE seq = ?", [hit.seq])?.id;
      if (other === undefined) continue;
      const key = [row.id, other].sort().join("|");
      if (seen.has(key)) continue;
      seen.add(key);
      duplicates.push([row.id, other]);
    }
  }
  return { decayUpdated: rows.length, prunable, duplicates, promotable };
}

/** Rank for keeping one of two duplicates: pinned, then protection, importance, access, age. */
function keepRank(entry: MemoryEntry): number[] {
  return [
    entry.pinned ? 1 : 0,
    1 - PROTECTION_LEVELS[entry.protection],
    entry.importance,
    entry.accessCount,
    -entry.createdAt,
  ];
}

function compareKeep(a: MemoryEntry, b: MemoryEntry): number {
  const left = keepRank(a);
  const right = keepRank(b);
  for (let index = 0; index < left.length; index++) {
    const difference = (right[index] as number) - (left[index] as number);
    if (difference !== 0) return difference;
  }
  return a.id < b.id ? -1 : 1;
}

function consolidate(host: DreamHost, gathered: NonNullable<DreamData["gather"]>): NonNullable<DreamData["plan"]> {
  // Group duplicate pairs into clusters (union-find), keep the strongest of each.
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== undefined && parent.get(root) !== root) root = parent.get(root) as string;
    parent.set(id, root);
    return root;
  };
  for (const [a, b] of gathered.duplicates) {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    parent.set(find(a), find(b));
  }
  const clusters = new Map<string, string[]>();
  for (const id of parent.keys()) {
    const root = find(id);
    clusters.set(root, [...(clusters.get(root) ?? []), id]);
  }
  const merges: Array<{ keep: string; drop: string[] }> = [];
  const dropped = new Set<string>();
  for (const ids of clusters.values()) {
    const rows = host.sql.all<MemoryRow>(
      `SELECT m.*, NULL AS space_ids FROM memories m WHERE m.id IN (SELECT value FROM json_each(?))`,
      [JSON.stringify(ids)],
    );
    const entries = host.decode(rows).sort(compareKeep);
    const [keep, ...drop] = entries;
    if (keep === undefined || drop.length === 0) continue;
    merges.push({ keep: keep.id, drop: drop.map((entry) => entry.id) });
    for (const entry of drop) dropped.add(entry.id);
  }
  return {
    merges,
    promote: gathered.promotable.filter((id) => !dropped.has(id)),
    prune: gathered.prunable.filter((id) => !dropped.has(id)),
  };
}

interface ApplyOutcome {
  merged: number;
  pruned: number;
  promoted: number;
  demoted: number;
  cacheTrimmed: number;
  forgotten: Array<{ id: string; reason: string }>;
}

function apply(host: DreamHost, plan: NonNullable<DreamData["plan"]>, now: number): ApplyOutcome {
  const outcome: ApplyOutcome = { merged: 0, pruned: 0, promoted: 0, demoted: 0, cacheTrimmed: 0, forgotten: [] };
  const seqOf = (id: string): number | undefined =>
    host.sql.get<{ seq: number }>("SELECT seq FROM memories WHERE id = ?", [id])?.seq;
  for (const merge of plan.merges) {
    const keep = seqOf(merge.keep);
    if (keep === undefined) continue;
    for (const dropId of merge.drop) {
      const drop = seqOf(dropId);
      if (drop === undefined) continue;
      host.sql.run(
        `UPDATE memories SET
           access_count = access_count + (SELECT access_count FROM memories WHERE seq = ?1),
           importance = max(importance, (SELECT importance FROM memories WHERE seq = ?1)),
           pinned = max(pinned, (SELECT pinned FROM memories WHERE seq = ?1)),
           tags = (SELECT json_group_array(DISTINCT value) FROM (
             SELECT value FROM json_each((SELECT tags FROM memories WHERE seq = ?2))
             UNION SELECT value FROM json_each((SELECT tags FROM memories WHERE seq = ?1)))),
           updated_at = ?3
         WHERE seq = ?2`,
        [drop, keep, now],
      );
      host.sql.run(
        `INSERT INTO memory_spaces(space_id, memory_seq, linked_at)
         SELECT space_id, ?, linked_at FROM memory_spaces WHERE memory_seq = ? ON CONFLICT DO NOTHING`,
        [keep, drop],
      );
      host.deleteSeq(drop);
      outcome.merged += 1;
      outcome.forgotten.push({ id: dropId, reason: `merged into ${merge.keep}` });
    }
  }
  for (const id of plan.promote) {
    const changed = host.sql.run(
      `UPDATE memories SET tier = CASE tier WHEN 'cold' THEN 'warm' ELSE 'hot' END, updated_at = ?
       WHERE id = ? AND tier IN ('warm', 'cold')`,
      [now, id],
    ).changes;
    outcome.promoted += changed;
  }
  for (const id of plan.prune) {
    const row = host.sql.get<DecayRow>(
      "SELECT seq, id, memory_type, importance, protection, access_count, accessed_at, decay_rate, pinned, tier FROM memories WHERE id = ?",
      [id],
    );
    // Re-checked: a memory used or protected since the plan was made is kept.
    if (row === undefined || !prunableRow(row, now)) continue;
    host.deleteSeq(row.seq);
    outcome.pruned += 1;
    outcome.forgotten.push({ id, reason: "decayed" });
  }
  const caps = host.enforceCaps(now);
  outcome.demoted += caps.demoted;
  outcome.pruned += caps.pruned.length;
  for (const id of caps.pruned) outcome.forgotten.push({ id, reason: "cold tier over capacity" });
  const cached = host.sql.get<{ n: number }>("SELECT count(*) AS n FROM embedding_cache")?.n ?? 0;
  if (cached > host.embeddingCacheSize) {
    outcome.cacheTrimmed = host.sql.run(
      `DELETE FROM embedding_cache WHERE (model, content_hash) IN
         (SELECT model, content_hash FROM embedding_cache ORDER BY used_at ASC LIMIT ?)`,
      [cached - host.embeddingCacheSize],
    ).changes;
  }
  return outcome;
}

/** Runs (or resumes) one dream on `host`. Rejects with `ABORTED` when its signal aborts. */
export async function runDream(host: DreamHost): Promise<DreamReport> {
  throwIfAborted(host.signal);
  const resumed = loadCheckpoint(host);
  const runId = resumed?.runId ?? newId(host.clock.now());
  const data: DreamData = resumed?.data ?? { startedAt: host.clock.now(), phases: [] };
  host.publish("dream.started", {
    runId,
    ...(resumed === undefined ? {} : { resumedAtPhase: resumed.resumedAtPhase }),
  });
  for (let phaseIndex = resumed?.next ?? 0; phaseIndex < DREAM_PHASES.length; phaseIndex++) {
    // Yield between phases so a cancellation (or shutdown) can land.
    await Promise.resolve();
    throwIfAborted(host.signal);
    const phase = DREAM_PHASES[phaseIndex] as DreamPhase;
    const tick = performance.now();
    if (phase === "orient") data.orient = orient(host);
    else if (phase === "gather") data.gather = gather(host, data.orient?.since ?? 0);
    else if (phase === "consolidate") {
      data.plan = consolidate(host, data.gather ?? { decayUpdated: 0, prunable: [], duplicates: [], promotable: [] });
    }
    const durationMs = Math.round((performance.now() - tick) * 1000) / 1000;
    if (phase !== "apply") {
      data.phases.push({ phase, durationMs });
      host.sql.transaction(() => saveCheckpoint(host.sql, runId, phase, data, host.clock.now()));
      host.publish("dream.phase-completed", { runId, phase, durationMs });
      continue;
    }
    const now = host.clock.now();
    const plan = data.plan ?? { merges: [], promote: [], prune: [] };
    const report = host.sql.transaction(() => {
      const outcome = apply(host, plan, now);
      data.phases.push({ phase, durationMs: Math.round((performance.now() - tick) * 1000) / 1000 });
      const done: DreamReport & { forgotten: ApplyOutcome["forgotten"] } = {
        runId,
        startedAt: data.startedAt,
        completedAt: now,
        resumedAtPhase: resumed?.resumedAtPhase,
        phases: data.phases,
        total: data.orient?.total ?? 0,
        byTier: data.orient?.byTier ?? { hot: 0, warm: 0, cold: 0 },
        decayUpdated: data.gather?.decayUpdated ?? 0,
        merged: outcome.merged,
        pruned: outcome.pruned,
        promoted: outcome.promoted,
        demoted: outcome.demoted,
        cacheTrimmed: outcome.cacheTrimmed,
        forgotten: outcome.forgotten,
      };
      const { forgotten: _forgotten, ...stored } = done;
      host.sql.run(
        "INSERT INTO dream_reports(run_id, started_at, completed_at, status, report) VALUES (?, ?, ?, 'completed', ?)",
        [runId, data.startedAt, now, JSON.stringify(stored)],
      );
      host.sql.run("DELETE FROM dream_state WHERE slot = 1");
      return done;
    });
    for (const forgotten of report.forgotten) {
      host.publish("memory.forgotten", { memoryId: forgotten.id, reason: forgotten.reason });
    }
    host.publish("dream.phase-completed", { runId, phase, durationMs: report.phases.at(-1)?.durationMs ?? 0 });
    host.publish("dream.completed", {
      runId,
      merged: report.merged,
      pruned: report.pruned,
      promoted: report.promoted,
      demoted: report.demoted,
    });
    const { forgotten: _unused, ...result } = report;
    host.logger.info("dream completed", { runId, merged: result.merged, pruned: result.pruned });
    return result;
  }
  throw new KernelError(MemoryErrorCode.storageFailed, "dream ended without applying its plan");
}
