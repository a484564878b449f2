// What a sqld served, from the stats file it keeps per database (`dbs/default/stats.json` in
// its data directory, written as it runs and when it stops): how many statements, and how
// long it spent executing them. Read after `stop()`, before `close()` removes the directory.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SqldServer } from "@oxios/tooling/sqld";

export interface SqldStats {
  statements: number;
  /** Time spent executing them, summed, in ms. */
  executingMs: number;
  /** The slowest statement seen and its time in ms. */
  slowest: { sql: string; ms: number } | undefined;
}

export function sqldStats(sqld: SqldServer): SqldStats {
  const stats = JSON.parse(readFileSync(join(sqld.dataDir, "data.sqld", "dbs", "default", "stats.json"), "utf8")) as {
    query_count: number;
    query_latency: number;
    slowest_queries?: Array<{ elapsed_ms: number; query: string }>;
  };
  const slowest = [...(stats.slowest_queries ?? [])].sort((a, b) => b.elapsed_ms - a.elapsed_ms)[0];
  return {
    statements: stats.query_count,
    // sqld sums the latency in microseconds.
    executingMs: stats.query_latency / 1000,
    slowest:
      slowest === undefined
        ? undefined
        : { sql: slowest.query.replace(/\s+/g, " ").slice(0, 60), ms: slowest.elapsed_ms },
  };
}
