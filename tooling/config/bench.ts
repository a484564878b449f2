/**
 * Shared benchmark helpers: timing with medians over rounds, and the results writer every
 * package's `bench/run.ts` ends with. Results go to `bench/results/latest.json` in the shape
 * `{cases:[{name, ours, baseline, baselineName, ratio, unit, better}], machine, date}`, and a
 * table is printed. `ratio` is always ours ÷ baseline; `better` says which direction wins.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

export interface BenchCase {
  name: string;
  ours: number;
  baseline: number;
  baselineName: string;
  unit: string;
  better: "higher" | "lower";
  /** A goal on the ratio, printed beside it: e.g. `{ atLeast: 1 }` or `{ atMost: 1.5 }`. */
  goal?: { atLeast?: number; atMost?: number };
  notes?: string;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

/** Runs `body(iterations)` once per round and returns the median operations per second. */
export async function opsPerSecond(
  body: (iterations: number) => Promise<void> | void,
  options: { iterations: number; rounds?: number; warmup?: boolean },
): Promise<number> {
  if (options.warmup !== false) await body(Math.max(1, Math.floor(options.iterations / 10)));
  const rates: number[] = [];
  for (let round = 0; round < (options.rounds ?? 5); round++) {
    const started = performance.now();
    await body(options.iterations);
    const elapsed = performance.now() - started;
    rates.push((options.iterations / elapsed) * 1000);
  }
  return median(rates);
}

/**
 * Measures several contenders round-robin (A, B, C, A, B, C, …) so machine noise hits them
 * alike, and returns each one's median ops/s.
 */
export async function compareOpsPerSecond(
  contenders: Record<string, (iterations: number) => Promise<void> | void>,
  options: { iterations: number; rounds?: number },
): Promise<Record<string, number>> {
  const names = Object.keys(contenders);
  const rates = new Map<string, number[]>(names.map((name) => [name, []]));
  for (const name of names) await contenders[name]?.(Math.max(1, Math.floor(options.iterations / 10)));
  for (let round = 0; round < (options.rounds ?? 7); round++) {
    for (const name of names) {
      const started = performance.now();
      await contenders[name]?.(options.iterations);
      const elapsed = performance.now() - started;
      rates.get(name)?.push((options.iterations / elapsed) * 1000);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(rates.get(name) ?? [])]));
}

function machine(): string {
  const cpu = cpus();
  const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : `node ${process.version}`;
  return `${cpu.length}× ${cpu[0]?.model ?? "unknown cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${runtime}, ${process.platform}-${process.arch}`;
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return value.toPrecision(4);
}

/**
 * Prints the table and writes `latest.json` to `options.directory`, by default
 * `<packageDir>/bench/results`.
 */
export function writeBenchResults(
  packageDir: string,
  cases: readonly BenchCase[],
  options: { directory?: string } = {},
): void {
  const rows = cases.map((entry) => {
    const ratio = entry.ours / entry.baseline;
    let verdict = "";
    if (entry.goal?.atLeast !== undefined)
      verdict =
        ratio >= entry.goal.atLeast ? `goal ≥ ${entry.goal.atLeast}× met` : `goal ≥ ${entry.goal.atLeast}× MISSED`;
    if (entry.goal?.atMost !== undefined)
      verdict = ratio <= entry.goal.atMost ? `goal ≤ ${entry.goal.atMost}× met` : `goal ≤ ${entry.goal.atMost}× MISSED`;
    return { ...entry, ratio, verdict };
  });
  const header = ["case", "ours", "baseline", "ratio", "unit", "better", "goal"];
  const table = rows.map((row) => [
    row.name,
    format(row.ours),
    `${format(row.baseline)} (${row.baselineName})`,
    `${row.ratio.toFixed(3)}×`,
    row.unit,
    row.better,
    row.verdict,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...table.map((line) => (line[column] ?? "").length)),
  );
  const print = (line: string[]): void => {
    console.log(line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  "));
  };
  print(header);
  print(widths.map((width) => "-".repeat(width)));
  for (const line of table) print(line);

  const directory = options.directory ?? join(packageDir, "bench", "results");
  mkdirSync(directory, { recursive: true });
  const target = join(directory, "latest.json");
  const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
  const json = {
    cases: rows.map(({ name, ours, baseline, baselineName, ratio, unit, better, goal, notes }) => ({
      name,
      ours,
      baseline,
      baselineName,
      ratio,
      unit,
      better,
      ...(goal === undefined ? {} : { goal }),
      ...(notes === undefined ? {} : { notes }),
    })),
    machine: machine(),
    date: new Date().toISOString(),
  };
  writeFileSync(temporary, `${JSON.stringify(json, null, 2)}\n`);
  renameSync(temporary, target);
  console.log(`\nwrote ${target}`);
}
