/**
 * Keeps each tier within its cap by demotion: hot overflow (count or token budget) moves the
 * weakest hot memories to warm, warm overflow moves the weakest to cold, and cold overflow
 * deletes the weakest unprotected memories (pinned, medium+ protection, profiles and
 * preferences are never deleted for space; if only those remain, the overflow is logged).
 * "Weakest" = unpinned first, then lowest importance × decay score, then least recently used.
 * Runs inside the caller's write transaction.
 */

import { estimateTokens, type Logger } from "@oxios/core";
import type { TierCaps } from "./lifecycle.ts";
import type { Sql } from "./sql.ts";

export interface TierCapOutcome {
  demoted: number;
  /** Memories to delete because the cold tier is over capacity (the caller deletes them). */
  pruned: Array<{ seq: number; id: string }>;
}

const WEAKEST_FIRST = "pinned ASC, importance * decay_score ASC, accessed_at ASC, seq ASC";

export function enforceTierCaps(sql: Sql, caps: TierCaps, logger: Logger, now: number): TierCapOutcome {
  let demoted = 0;
  const hot = sql.all<{ seq: number; content: string }>(
    `SELECT seq, content FROM memories WHERE tier = 'hot' ORDER BY pinned DESC, importance * decay_score DESC, accessed_at DESC, seq DESC`,
  );
  let tokens = 0;
  let kept = 0;
  const demote: number[] = [];
  for (const row of hot) {
    const cost = estimateTokens(row.content);
    if (demote.length === 0 && kept < caps.hot.count && tokens + cost <= caps.hot.tokens) {
      kept += 1;
      tokens += cost;
    } else demote.push(row.seq);
  }
  if (demote.length > 0) {
    sql.run("UPDATE memories SET tier = 'warm', updated_at = ? WHERE seq IN (SELECT value FROM json_each(?))", [
      now,
      JSON.stringify(demote),
    ]);
    demoted += demote.length;
  }
  const warm = sql.get<{ n: number }>("SELECT count(*) AS n FROM memories WHERE tier = 'warm'")?.n ?? 0;
  if (warm > caps.warm.count) {
    demoted += sql.run(
      `UPDATE memories SET tier = 'cold', updated_at = ? WHERE seq IN
         (SELECT seq FROM memories WHERE tier = 'warm' ORDER BY ${WEAKEST_FIRST} LIMIT ?)`,
      [now, warm - caps.warm.count],
    ).changes;
  }
  const pruned: Array<{ seq: number; id: string }> = [];
  const cold = sql.get<{ n: number }>("SELECT count(*) AS n FROM memories WHERE tier = 'cold'")?.n ?? 0;
  if (cold > caps.cold.count) {
    const victims = sql.all<{ seq: number; id: string }>(
      `SELECT seq, id FROM memories WHERE tier = 'cold' AND pinned = 0 AND protection IN ('none', 'low')
         AND memory_type NOT IN ('user_profile', 'preference') ORDER BY ${WEAKEST_FIRST} LIMIT ?`,
      [cold - caps.cold.count],
    );
    pruned.push(...victims);
    if (victims.length < cold - caps.cold.count) {
      logger.warn("cold memory tier is over capacity and the rest is protected; keeping it", {
        cold,
        cap: caps.cold.count,
        protectedOverflow: cold - caps.cold.count - victims.length,
      });
    }
  }
  return { demoted, pruned };
}
