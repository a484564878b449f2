// The bench's chart and tables, written by the bench itself: latency (p50, log scale) against
// recall@10 at each corpus size, for our vector stage (a sweep of candidate budgets), LanceDB
// (a sweep of nprobes × refine factor), and sqlite-vec's exact KNN; an SVG needs no browser.
import type { BenchCase } from "@oxios/tooling/bench";

export interface SizeFigures {
  size: number;
  label: string;
  queries: number;
  rounds: number;
  hybridP50: number;
  hybridP95: number;
  vectorP50: number;
  vectorRecall: number;
  exactP50: number;
  exactP95: number;
  lanceP50: number;
  lanceRecall: number;
  /** Null when LanceDB sat this size out (see MEMORY_BENCH_LANCE_UP_TO); its figures are then NaN. */
  lanceSetting: { nprobes: number; refineFactor: number } | null;
  lanceSweep: Array<{ nprobes: number; refineFactor: number; p50: number; recall: number }>;
  oursSweep: Array<{ candidates: number; p50: number; recall: number }>;
  openMs: number;
  crashOpenMs: number;
  rssAfterOpen: number;
  peakRss: number;
  /** Seconds to build this size from the previous one (our store, the exact table, LanceDB and its index). */
  buildSeconds: number;
  /** The machine's 1-minute load average when the queries started and when they ended. */
  load: [number, number];
}

const PANEL = { width: 320, height: 260, left: 56, top: 40, right: 16, bottom: 44 };
const COLORS = { ours: "#1f6feb", hybrid: "#2da44e", lance: "#d1242f", exact: "#24292f" };

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function renderChart(results: readonly SizeFigures[]): string {
  const latencies = results.flatMap((figures) => [
    figures.exactP50,
    figures.hybridP50,
    figures.vectorP50,
    ...figures.lanceSweep.map((point) => point.p50),
    ...figures.oursSweep.map((point) => point.p50),
  ]);
  const recalls = results.flatMap((figures) => [
    ...figures.lanceSweep.map((point) => point.recall),
    ...figures.oursSweep.map((point) => point.recall),
    figures.vectorRecall,
  ]);
  const minRecall = Math.max(0, Math.floor(Math.min(0.9, ...recalls) * 20) / 20);
  const minLog = Math.floor(Math.log10(Math.max(0.01, Math.min(...latencies))));
  const maxLog = Math.ceil(Math.log10(Math.max(...latencies)));
  const innerWidth = PANEL.width - PANEL.left - PANEL.right;
  const innerHeight = PANEL.height - PANEL.top - PANEL.bottom;
  const width = PANEL.width * results.length;
  const height = PANEL.height + 96;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  results.forEach((figures, panel) => {
    const x0 = panel * PANEL.width + PANEL.left;
    const y0 = PANEL.top;
    const x = (recall: number): number => x0 + ((recall - minRecall) / (1 - minRecall)) * innerWidth;
    const y = (ms: number): number =>
      y0 + innerHeight - ((Math.log10(ms) - minLog) / Math.max(1, maxLog - minLog)) * innerHeight;
    parts.push(
      `<text x="${x0 + innerWidth / 2}" y="${y0 - 16}" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(figures.label)} memories × 512-d</text>`,
      `<rect x="${x0}" y="${y0}" width="${innerWidth}" height="${innerHeight}" fill="none" stroke="#8c959f"/>`,
    );
    for (let power = minLog; power <= maxLog; power++) {
      const ms = 10 ** power;
      parts.push(
        `<line x1="${x0}" x2="${x0 + innerWidth}" y1="${y(ms)}" y2="${y(ms)}" stroke="#eaeef2"/>`,
        `<text x="${x0 - 6}" y="${y(ms) + 4}" text-anchor="end">${ms >= 1 ? ms : ms.toFixed(Math.abs(power))} ms</text>`,
      );
    }
    const step = 1 - minRecall > 0.25 ? 0.1 : 0.05;
    for (let recall = 1; recall >= minRecall - 0.0001; recall -= step) {
      parts.push(
        `<line x1="${x(recall)}" x2="${x(recall)}" y1="${y0}" y2="${y0 + innerHeight}" stroke="#eaeef2"/>`,
        `<text x="${x(recall)}" y="${y0 + innerHeight + 14}" text-anchor="middle">${recall.toFixed(2)}</text>`,
      );
    }
    parts.push(
      `<text x="${x0 + innerWidth / 2}" y="${y0 + innerHeight + 32}" text-anchor="middle">recall@10 vs exact KNN</text>`,
    );
    // Every setting as a dot; the line joins the best latency reached at each recall (the frontier).
    const line = (points: Array<{ recall: number; p50: number }>, color: string): void => {
      const sorted = [...points].sort((a, b) => b.recall - a.recall || a.p50 - b.p50);
      const frontier: Array<{ recall: number; p50: number }> = [];
      for (const point of sorted) {
        const last = frontier[frontier.length - 1];
        if (last === undefined || point.p50 < last.p50) frontier.push(point);
      }
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${frontier.map((point) => `${x(Math.max(minRecall, point.recall)).toFixed(1)},${y(point.p50).toFixed(1)}`).join(" ")}"/>`,
      );
      for (const point of sorted) {
        parts.push(
          `<circle cx="${x(Math.max(minRecall, point.recall)).toFixed(1)}" cy="${y(point.p50).toFixed(1)}" r="3" fill="${color}"/>`,
        );
      }
    };
    line(figures.oursSweep, COLORS.ours);
    line(figures.lanceSweep, COLORS.lance);
    parts.push(
      `<rect x="${(x(1) - 4).toFixed(1)}" y="${(y(figures.exactP50) - 4).toFixed(1)}" width="8" height="8" fill="${COLORS.exact}"/>`,
      `<path d="M ${x(figures.vectorRecall).toFixed(1)} ${(y(figures.hybridP50) - 6).toFixed(1)} l 6 6 l -6 6 l -6 -6 z" fill="${COLORS.hybrid}"/>`,
      `<circle cx="${x(figures.vectorRecall).toFixed(1)}" cy="${y(figures.vectorP50).toFixed(1)}" r="6" fill="none" stroke="${COLORS.ours}" stroke-width="2"/>`,
    );
    if (figures.lanceSetting !== null) {
      parts.push(
        `<circle cx="${x(Math.max(minRecall, figures.lanceRecall)).toFixed(1)}" cy="${y(figures.lanceP50).toFixed(1)}" r="6" fill="none" stroke="${COLORS.lance}" stroke-width="2"/>`,
      );
    }
  });
  const legend: Array<[string, string]> = [
    [COLORS.ours, "ours, vector stage (candidates 100…1,600); ring: vector search as shipped (200)"],
    [COLORS.hybrid, "ours, hybrid search as shipped (at its vector stage's recall)"],
    [COLORS.lance, "LanceDB 0.31 IVF-PQ (nprobes × refine factor); ring: its fastest at recall ≥ 0.95"],
    [COLORS.exact, "sqlite-vec exact KNN"],
  ];
  legend.forEach(([color, text], index) => {
    const lx = 16;
    const ly = PANEL.height + 14 + index * 18;
    parts.push(
      `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${color}"/>`,
      `<text x="${lx + 16}" y="${ly}">${escapeXml(text)}</text>`,
    );
  });
  parts.push(
    `<text x="16" y="${height - 6}" fill="#57606a">p50 latency (log scale) vs recall@10 · pnpm --filter @oxios/memory bench</text>`,
    "</svg>",
  );
  return `${parts.join("\n")}\n`;
}

function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export interface MachineFigures {
  cores: number;
  memoryGiB: number;
  node: string;
  finishedAt: string;
  totalSeconds: number;
  loadAtEnd: number[];
}

export function renderSummary(
  results: readonly SizeFigures[],
  cases: readonly BenchCase[],
  machine: MachineFigures,
): string {
  const lines = [
    "# @oxios/memory bench",
    "",
    "`pnpm --filter @oxios/memory bench` — synthetic memories × 512-d (hashing embedder), 50 queries,",
    "medians (p50) in ms, every contender embedding the query text. Recall@10 against sqlite-vec's exact KNN.",
    `${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; finished ${machine.finishedAt} after ${machine.totalSeconds} s;`,
    `load average at the end ${machine.loadAtEnd.map((value) => value.toFixed(1)).join(", ")} (each size's own below).`,
    "",
    "| size | ours hybrid | ours vector | ours recall | exact KNN | LanceDB IVF-PQ | LanceDB recall | hybrid ÷ exact | vector ÷ LanceDB | open (clean / crash) | peak RSS | build | load (start / end) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...results.map(
      (figures) =>
        `| ${figures.label} | ${ms(figures.hybridP50)} | ${ms(figures.vectorP50)} | ${figures.vectorRecall.toFixed(3)} | ${ms(figures.exactP50)} | ${figures.lanceSetting === null ? "— (not run)" : `${ms(figures.lanceP50)} (nprobes ${figures.lanceSetting.nprobes}, refine ${figures.lanceSetting.refineFactor})`} | ${figures.lanceSetting === null ? "—" : figures.lanceRecall.toFixed(3)} | ${(figures.hybridP50 / figures.exactP50).toFixed(3)}× | ${figures.lanceSetting === null ? "—" : `${(figures.vectorP50 / figures.lanceP50).toFixed(3)}×`} | ${(figures.openMs / 1000).toFixed(2)} s / ${(figures.crashOpenMs / 1000).toFixed(2)} s | ${(figures.peakRss / 2 ** 30).toFixed(2)} GiB | ${figures.buildSeconds.toFixed(0)} s | ${figures.load[0].toFixed(1)} / ${figures.load[1].toFixed(1)} |`,
    ),
    "",
    "## Goals",
    "",
    "| case | ours | baseline | ratio | goal |",
    "|---|---|---|---|---|",
    ...cases.map((entry) => {
      const ratio = entry.ours / entry.baseline;
      let goal = "";
      if (entry.goal?.atLeast !== undefined)
        goal = `≥ ${entry.goal.atLeast}× ${ratio >= entry.goal.atLeast ? "met" : "MISSED"}`;
      if (entry.goal?.atMost !== undefined)
        goal = `≤ ${entry.goal.atMost}× ${ratio <= entry.goal.atMost ? "met" : "MISSED"}`;
      return `| ${entry.name} | ${entry.ours.toPrecision(4)} ${entry.unit} | ${entry.baseline.toPrecision(4)} (${entry.baselineName}) | ${ratio.toFixed(3)}× | ${goal} |`;
    }),
    "",
    "## Sweeps (vector stage alone, p50 ms / recall@10)",
    "",
    ...results.flatMap((figures) => [
      `- ${figures.label} ours: ${figures.oursSweep.map((point) => `${point.candidates} candidates ${ms(point.p50)} / ${point.recall.toFixed(3)}`).join("; ")}`,
      `- ${figures.label} LanceDB: ${figures.lanceSetting === null ? "not run at this size (MEMORY_BENCH_LANCE_UP_TO)" : figures.lanceSweep.map((point) => `nprobes ${point.nprobes} refine ${point.refineFactor} ${ms(point.p50)} / ${point.recall.toFixed(3)}`).join("; ")}`,
    ]),
    "",
    "![latency vs recall](latency-recall.svg)",
    "",
  ];
  return lines.join("\n");
}
