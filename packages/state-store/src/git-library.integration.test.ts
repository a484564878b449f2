/**
 * When isomorphic-git is loaded: each of its three modules is mocked by itself, counting how
 * often it is evaluated. The repository is written by the git CLI, so nothing in this file
 * has loaded isomorphic-git before `GitLayer.open` runs.
 */

import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GitLayer, STATE_GITIGNORE_LINES } from "./git-layer.ts";

const loads = vi.hoisted(() => ({ main: 0, managers: 0, models: 0 }));
vi.mock("isomorphic-git", async (importOriginal) => {
  loads.main += 1;
  return importOriginal();
});
vi.mock("isomorphic-git/managers", async (importOriginal) => {
  loads.managers += 1;
  return importOriginal();
});
vi.mock("isomorphic-git/models", async (importOriginal) => {
  loads.models += 1;
  return importOriginal();
});

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "oxios-git-lazy-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function gitCli(...args: string[]): string {
  return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe("loading isomorphic-git", () => {
  it("opening an existing repository loads none of it; the first operations load it once", async () => {
    gitCli("init", "--quiet", "--initial-branch=main");
    await writeFile(join(root, ".gitignore"), `${STATE_GITIGNORE_LINES.join("\n")}\n`);
    await writeFile(join(root, "a.json"), "{}\n");
    gitCli("add", "-A");
    gitCli("-c", "user.name=Tester", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "by the cli");

    const git = await GitLayer.open({ dir: root });
    expect(loads).toEqual({ main: 0, managers: 0, models: 0 });

    // Two operations at once share one load.
    await writeFile(join(root, "a.json"), '{"v":2}\n');
    const [log, commit] = await Promise.all([git.log(), git.commit(["a.json"], "edit a")]);
    expect(log.map((entry) => entry.message)).toEqual(["by the cli"]);
    expect(commit?.staged).toEqual(["a.json"]);
    expect(loads).toEqual({ main: 1, managers: 1, models: 1 });
    expect(gitCli("log", "--format=%s").trim().split("\n")).toEqual(["edit a", "by the cli"]);
    expect(gitCli("status", "--porcelain")).toBe("");
    await git.close();
  });
});
