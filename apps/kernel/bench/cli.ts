// The `oxios` command's own cost: wall time of `oxios --help`, `oxios --version` and
// `oxios status` (against a running kernel) as the user runs them — the bin, the built dist/ —
// each against `node -e 0` measured in the same rounds (round-robin, so machine noise hits
// them alike; medians of 20 calls; goals ≤ 1.5×, ≤ 1.5×, ≤ 2×), and the peak RSS of the thin
// `oxios status` (goal ≤ 60 MB).
import { spawnSync } from "node:child_process";
import type { BenchCase } from "@oxios/tooling/bench";
import { median } from "@oxios/tooling/bench";
import { BIN, startKernel, tempHome } from "../src/__fixtures__/kernel-process.ts";

const CALLS = 20;
const WARMUP = 3;
/** Preloaded into a measured process: prints its peak RSS (KiB) to stderr as it exits. */
const REPORT_PEAK_RSS = `data:text/javascript,process.on("exit",()=>process.stderr.write("maxrss="+process.resourceUsage().maxRSS+"\\n"))`;

interface Contender {
  name: string;
  args: string[];
  /** The exit code the command must end with. */
  code: number;
}

function call(contender: Contender, env: NodeJS.ProcessEnv, preload: string[] = []): { ms: number; stderr: string } {
  const started = performance.now();
  const result = spawnSync(process.execPath, [...preload, ...contender.args], { env, encoding: "utf8" });
  const ms = performance.now() - started;
  if (result.status !== contender.code) {
    throw new Error(`${contender.name} exited ${result.status}, expected ${contender.code}: ${result.stderr}`);
  }
  return { ms, stderr: result.stderr };
}

function peakRssMb(contender: Contender, env: NodeJS.ProcessEnv): number {
  const samples = Array.from({ length: 5 }, () => {
    const { stderr } = call(contender, env, ["--import", REPORT_PEAK_RSS]);
    return Number(/maxrss=(\d+)/.exec(stderr)?.[1]) / 1024;
  });
  return median(samples);
}

export async function benchCli(): Promise<BenchCase[]> {
  const kernel = await startKernel(tempHome());
  const env = { ...process.env, OXIOS_HOME: kernel.home };
  const baseline: Contender = { name: "node -e 0", args: ["-e", "0"], code: 0 };
  const contenders: Contender[] = [
    baseline,
    { name: "oxios --help", args: [BIN, "--help"], code: 0 },
    { name: "oxios --version", args: [BIN, "--version"], code: 0 },
    { name: "oxios status", args: [BIN, "status"], code: 0 },
  ];
  const times = new Map<string, number[]>(contenders.map((contender) => [contender.name, []]));
  try {
    for (let round = 0; round < WARMUP + CALLS; round++) {
      for (const contender of contenders) {
        const { ms } = call(contender, env);
        if (round >= WARMUP) times.get(contender.name)?.push(ms);
      }
    }
    const thinRss = peakRssMb(contenders[3] as Contender, env);
    const baselineRss = peakRssMb(baseline, env);
    const nodeMs = median(times.get(baseline.name) ?? []);
    console.log(
      contenders
        .map((contender) => `${contender.name}: median ${median(times.get(contender.name) ?? []).toFixed(1)} ms`)
        .join("; "),
    );
    const vsNode = (name: string, atMost: number): BenchCase => ({
      name: `${name}, median of ${CALLS} calls`,
      ours: median(times.get(name) ?? []),
      baseline: nodeMs,
      baselineName: "node -e 0",
      unit: "ms",
      better: "lower",
      goal: { atMost },
    });
    return [
      vsNode("oxios --help", 1.5),
      vsNode("oxios --version", 1.5),
      { ...vsNode("oxios status", 2), name: `oxios status (kernel running), median of ${CALLS} calls` },
      {
        name: "peak RSS of oxios status (thin command), median of 5",
        ours: thinRss,
        baseline: 60,
        baselineName: "goal",
        unit: "MB",
        better: "lower",
        goal: { atMost: 1 },
        notes: `node -e 0 peaks at ${baselineRss.toFixed(1)} MB`,
      },
    ];
  } finally {
    kernel.child.kill("SIGTERM");
    await kernel.exited;
  }
}
