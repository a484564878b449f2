// Renders the chart and the tables again from bench/results/figures.json (what the last bench
// run measured), after a change to chart.ts: node --import tsx bench/render.ts
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BenchCase } from "@oxios/tooling/bench";
import { type MachineFigures, renderChart, renderSummary, type SizeFigures } from "./chart.ts";

const directory = fileURLToPath(new URL("./results/", import.meta.url));
const { machine, results, cases } = JSON.parse(readFileSync(`${directory}figures.json`, "utf8")) as {
  machine: MachineFigures;
  results: SizeFigures[];
  cases: BenchCase[];
};
writeFileSync(`${directory}latency-recall.svg`, renderChart(results));
writeFileSync(`${directory}summary.md`, renderSummary(results, cases, machine));
console.log(`wrote ${directory}latency-recall.svg and summary.md`);
