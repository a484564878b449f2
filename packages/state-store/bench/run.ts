// Benchmarks of @oxios/state-store against the baselines, measured round-robin in
// one process (medians over rounds):
//   1. durable atomic writes of 1 KiB JSON to distinct keys vs write-file-atomic (fsync on),
//   2. 1,000 rapid writes to one key, all awaited, vs write-file-atomic,
//   3. a commit of 100 changed files: GitLayer vs `git add -A && git commit` on a twin repo.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compareOpsPerSecond, median, writeBenchResults } from "@oxios/tooling/bench";
import writeFileAtomic from "write-file-atomic";
import { GitLayer, StateStore } from "../src/index.ts";

const scratch = mkdtempSync(join(tmpdir(), "oxios-state-bench-"));
const base = { id: "session", turns: Array.from({ length: 12 }, (_, turn) => ({ turn, text: "lorem ipsum dolor" })) };
// Padded so the stored file (pretty JSON + newline) is exactly 1 KiB.
const value = { ...base, pad: "" };
value.pad = "x".repeat(1024 - (JSON.stringify(value, null, 2).length + 1));
const bytes = JSON.stringify(value, null, 2).length + 1;

try {
  // 1 and 2: files.
  const store = await StateStore.open({ root: join(scratch, "ours") });
  const theirsDir = join(scratch, "theirs", "bench");
  mkdirSync(theirsDir, { recursive: true });
  let key = 0;
  const distinct = await compareOpsPerSecond(
    {
      oursSequential: async (count) => {
        for (let index = 0; index < count; index++) await store.save("bench", `k${key++}`, value);
      },
      theirsSequential: async (count) => {
        for (let index = 0; index < count; index++) {
          await writeFileAtomic(join(theirsDir, `k${key++}.json`), `${JSON.stringify(value, null, 2)}\n`, {
            fsync: true,
          });
        }
      },
      oursConcurrent: async (count) => {
        await Promise.all(Array.from({ length: count }, () => store.save("bench", `k${key++}`, value)));
      },
      theirsConcurrent: async (count) => {
        await Promise.all(
          Array.from({ length: count }, () =>
            writeFileAtomic(join(theirsDir, `k${key++}.json`), `${JSON.stringify(value, null, 2)}\n`, { fsync: true }),
          ),
        );
      },
    },
    { iterations: 200, rounds: 5 },
  );

  const oneKey = await compareOpsPerSecond(
    {
      ours: async (count) => {
        await Promise.all(Array.from({ length: count }, (_, turn) => store.save("hot", "key", { ...value, turn })));
      },
      theirs: async (count) => {
        const target = join(theirsDir, "hot.json");
        await Promise.all(
          Array.from({ length: count }, (_, turn) =>
            writeFileAtomic(target, `${JSON.stringify({ ...value, turn }, null, 2)}\n`, { fsync: true }),
          ),
        );
      },
    },
    { iterations: 1000, rounds: 5 },
  );
  await store.close();

  // 3: git. One repository made by our layer with 100 tracked files, copied to a CLI twin.
  const oursRepo = join(scratch, "repo-ours");
  const cliRepo = join(scratch, "repo-cli");
  const paths = Array.from({ length: 100 }, (_, index) => `seeds/s${index}.json`);
  const writeAll = (dir: string, round: number): void => {
    for (const path of paths) writeFileSync(join(dir, path), `${JSON.stringify({ ...value, round, path }, null, 2)}\n`);
  };
  const git = await GitLayer.open({ dir: oursRepo });
  mkdirSync(join(oursRepo, "seeds"), { recursive: true });
  writeAll(oursRepo, 0);
  await git.commit("all", "initial");
  cpSync(oursRepo, cliRepo, { recursive: true });
  const cliCommit = (): void => {
    execFileSync(
      "sh",
      ["-c", "git add -A && git -c user.name=Oxios -c user.email=oxios@localhost commit -q -m bench"],
      { cwd: cliRepo, stdio: "ignore" },
    );
  };
  const timings = { paths: [] as number[], all: [] as number[], cli: [] as number[] };
  for (let round = 1; round <= 12; round++) {
    writeAll(oursRepo, round);
    writeAll(cliRepo, round);
    const warm = round <= 2;
    let started = performance.now();
    const committed = round % 2 === 0 ? await git.commit(paths, "bench") : await git.commit("all", "bench");
    const ours = performance.now() - started;
    if (committed?.staged.length !== 100) throw new Error("our commit did not stage 100 files");
    started = performance.now();
    cliCommit();
    const cli = performance.now() - started;
    if (!warm) {
      (round % 2 === 0 ? timings.paths : timings.all).push(ours);
      timings.cli.push(cli);
    }
  }
  await git.close();
  const status = execFileSync("git", ["status", "--porcelain"], { cwd: oursRepo, encoding: "utf8" });
  if (status !== "") throw new Error(`our repository is not clean after the bench:\n${status}`);

  writeBenchResults(fileURLToPath(new URL("..", import.meta.url)), [
    {
      name: `durable atomic ${bytes} B JSON writes, distinct keys, one at a time`,
      ours: distinct.oursSequential ?? Number.NaN,
      baseline: distinct.theirsSequential ?? Number.NaN,
      baselineName: "write-file-atomic@6 fsync",
      unit: "writes/s",
      better: "higher",
      goal: { atLeast: 1 },
    },
    {
      name: `durable atomic ${bytes} B JSON writes, distinct keys, 200 in flight`,
      ours: distinct.oursConcurrent ?? Number.NaN,
      baseline: distinct.theirsConcurrent ?? Number.NaN,
      baselineName: "write-file-atomic@6 fsync",
      unit: "writes/s",
      better: "higher",
      goal: { atLeast: 1 },
    },
    {
      name: "1,000 rapid writes to one key, all awaited",
      ours: oneKey.ours ?? Number.NaN,
      baseline: oneKey.theirs ?? Number.NaN,
      baselineName: "write-file-atomic@6 fsync",
      unit: "writes/s",
      better: "higher",
      goal: { atLeast: 10 },
    },
    {
      name: "commit of 100 changed files (paths from the store)",
      ours: median(timings.paths),
      baseline: median(timings.cli),
      baselineName: "git add -A && git commit (CLI)",
      unit: "ms",
      better: "lower",
      goal: { atMost: 1.5 },
    },
    {
      name: "commit of 100 changed files ('all': status walk)",
      ours: median(timings.all),
      baseline: median(timings.cli),
      baselineName: "git add -A && git commit (CLI)",
      unit: "ms",
      better: "lower",
    },
  ]);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
