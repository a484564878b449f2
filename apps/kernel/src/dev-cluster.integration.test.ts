/**
 * `pnpm dev:cluster` (the root script runs `tooling/scripts/dev-cluster.mjs`): sqld and three
 * kernel nodes on one machine, each URL printed; the nodes see each other in `GET /api/cluster`
 * and take runs; Ctrl-C stops every node cleanly — each leaves the cluster while sqld is still
 * up — and then sqld.
 */

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cleanEnvironment, eventually, freePort } from "./__fixtures__/kernel-process.ts";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

describe("pnpm dev:cluster", () => {
  it("starts sqld and three nodes, prints their URLs, and Ctrl-C stops them after each left the cluster", async () => {
    const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
    expect(scripts["dev:cluster"]).toContain("node tooling/scripts/dev-cluster.mjs");
    const home = mkdtempSync(join(tmpdir(), "oxios-dev-cluster-"));
    const child = spawn(process.execPath, ["tooling/scripts/dev-cluster.mjs"], {
      cwd: ROOT,
      // Its own process group, like a terminal's foreground job: Ctrl-C reaches every process in it.
      detached: true,
      // The nodes pick free ports: three fixed ones next to sqld's may be taken by another test.
      env: {
        ...cleanEnvironment(),
        OXIOS_CLUSTER_HOME: home,
        OXIOS_CLUSTER_PORT: String(await freePort()),
        OXIOS_CLUSTER_NODE_PORTS: "any",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    for (const stream of [child.stdout, child.stderr]) {
      stream.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
    }
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await eventually(() => {
        if (child.exitCode !== null)
          throw new Error(`dev:cluster exited (${child.exitCode}) before it was up:\n${output}`);
        // The last line of the banner: the three node lines before it may arrive in later chunks
        // than "the cluster is up" (each console.log is a write of its own).
        return /the cluster is up[\s\S]*Ctrl-C stops\./.test(output) ? true : undefined;
      }, 240_000);
      const urls = [...output.matchAll(/^ {2}(node-[abc]) {2}(http:\/\/\S+)/gm)].map((match) => [match[1], match[2]]);
      expect(urls.map(([id]) => id)).toEqual(["node-a", "node-b", "node-c"]);
      const token = readFileSync(join(home, "node-b", "api-token"), "utf8").trim();
      const nodeB = urls[1]?.[1] as string;
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const cluster = (await (await fetch(`${nodeB}/api/cluster`, { headers })).json()) as {
        nodes: Array<{ id: string; live: boolean }>;
      };
      expect(cluster.nodes.map((node) => [node.id, node.live])).toEqual([
        ["node-a", true],
        ["node-b", true],
        ["node-c", true],
      ]);
      const run = (await (
        await fetch(`${nodeB}/api/runs`, { method: "POST", headers, body: JSON.stringify({ goal: "say hello" }) })
      ).json()) as { taskId: string };
      const done = await eventually(async () => {
        const current = (await (await fetch(`${nodeB}/api/runs/${run.taskId}?waitMs=10000`, { headers })).json()) as {
          status: string;
        };
        return current.status === "queued" || current.status === "running" ? undefined : current;
      });
      expect(done.status).toBe("completed");
    } finally {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, "SIGINT");
    }
    expect(await exited).toBe(0);
    // Every node handed its work back through sqld before sqld stopped.
    expect(output.match(/"message":"left the cluster"/g)?.length).toBe(3);
    expect(output).not.toMatch(/shutdown complete with failures/);
  }, 420_000);
});
