/**
 * Summarises a `.cpuprofile` (from `bench:peers --profile <system>`): self time by function and
 * by package, from the samples after the first `--skip-ms` ms (boot and module loading).
 *
 *   node --import tsx src/profile-summary.ts results/profiles/CPU…cpuprofile [--skip-ms 5000] [--top 30]
 *     [--callers name]   the most frequent stacks (leaf first) of samples in functions named `name`
 *   Without --skip-ms the samples before the first model request (boot) are skipped.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "skip-ms": { type: "string" },
    top: { type: "string", default: "30" },
    callers: { type: "string" },
  },
});
const file = positionals[0];
if (file === undefined) throw new Error("usage: profile-summary.ts <file.cpuprofile> [--skip-ms N] [--top N]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

function stackOf(id: number): ProfileNode[] {
  const stack: ProfileNode[] = [];
  for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
    const node = byId.get(current);
    if (node !== undefined) stack.push(node);
  }
  return stack;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where =
    url === ""
      ? ""
      : ` ${url.replace(/^.*node_modules\//, "").replace(/^.*\/(packages|apps|bench)\//, "$1/")}:${lineNumber + 1}`;
  return `${functionName || "(anonymous)"}${where}`;
}

/** The time of the first sample inside the model provider: the first model request. */
function firstModelRequestUs(): number {
  let elapsed = 0;
  for (let index = 0; index < profile.samples.length; index++) {
    elapsed += profile.timeDeltas[index] ?? 0;
    const stack = stackOf(profile.samples[index] as number);
    if (
      stack.some((node) => node.callFrame.functionName === "doStream" || node.callFrame.functionName === "doGenerate")
    )
      return elapsed;
  }
  return 0;
}

/** `@scope/name` or `name` of a node_modules path, `oxios:<package>` for workspace sources, else the kind. */
function packageOf(url: string): string {
  const modules = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1] !== undefined) return modules[1];
  const workspace = /\/(packages|apps|bench)\/([^/]+)\//.exec(url);
  if (workspace?.[2] !== undefined) return `oxios:${workspace[2]}`;
  if (url.startsWith("node:")) return "node (internals)";
  return url === "" ? "(native / vm)" : url;
}

const skipUs = values["skip-ms"] === undefined ? firstModelRequestUs() : Number(values["skip-ms"]) * 1000;
const callers = new Map<string, number>();
/** Each sample charged to the innermost workspace (Oxios) frame on its stack: who caused it. */
const byOxiosFrame = new Map<string, number>();
const isWorkspace = (node: ProfileNode) =>
  /\/(packages|apps)\//.test(node.callFrame.url) && !node.callFrame.url.includes("node_modules");
const selfByFunction = new Map<string, number>();
const selfByPackage = new Map<string, number>();
let elapsed = 0;
let total = 0;
for (let index = 0; index < profile.samples.length; index++) {
  const delta = profile.timeDeltas[index] ?? 0;
  elapsed += delta;
  if (elapsed < skipUs) continue;
  const node = byId.get(profile.samples[index] as number);
  if (node === undefined) continue;
  const key = label(node);
  if (values.callers !== undefined && node.callFrame.functionName === values.callers) {
    const stack = stackOf(node.id).slice(0, 12).map(label).join(" ← ");
    callers.set(stack, (callers.get(stack) ?? 0) + delta);
  }
  selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + delta);
  if (node.callFrame.functionName !== "(idle)") {
    const frame = stackOf(node.id).find(isWorkspace);
    const culprit = frame === undefined ? "(no Oxios frame on the stack)" : label(frame);
    byOxiosFrame.set(culprit, (byOxiosFrame.get(culprit) ?? 0) + delta);
  }
  const owner = packageOf(node.callFrame.url);
  selfByPackage.set(owner, (selfByPackage.get(owner) ?? 0) + delta);
  total += delta;
}

const top = Number(values.top);
const print = (title: string, table: Map<string, number>) => {
  console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [key, micros] of [...table].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${(micros / 1000).toFixed(1).padStart(9)} ms ${((micros / total) * 100).toFixed(1).padStart(5)}%  ${key}`,
    );
  }
};
print("self time by package", selfByPackage);
print("self time by function", selfByFunction);
print("time by innermost Oxios frame (callees in libraries and Node included)", byOxiosFrame);
if (values.callers !== undefined) print(`stacks of ${values.callers}`, callers);
console.log(`\nskipped the first ${(skipUs / 1000).toFixed(0)} ms`);
