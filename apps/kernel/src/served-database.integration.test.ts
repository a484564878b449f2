/**
 * The kernel on a served database: `OXIOS_DATABASE_URL` names a real sqld (started on
 * 127.0.0.1 by `@oxios/tooling/sqld`, behind a token) and every store uses it — audit, memory
 * (vec0 + FTS5 on the server), spaces, the durable queue and the run journal. No `oxios.db`
 * appears in the home, and a kernel started again on the same server finds everything.
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "@oxios/database";
import { FakeLlmServer, type FakeRequest, lastUserText } from "@oxios/runtime/testing";
import { type SqldServer, startSqld } from "@oxios/tooling/sqld";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type KernelProcess, spawnKernel, startKernel, tempHome } from "./__fixtures__/kernel-process.ts";

interface Run {
  taskId: string;
  status: string;
  text?: string;
}

async function respond(request: FakeRequest) {
  return { text: `finished ${lastUserText(request.body)}` };
}

describe("the kernel on sqld (database_url)", () => {
  let sqld: SqldServer;
  let fake: FakeLlmServer;
  let kernel: KernelProcess | undefined;
  let env: Record<string, string>;
  const home = tempHome();

  beforeAll(async () => {
    sqld = await startSqld({ auth: true });
    fake = await FakeLlmServer.start({ script: respond });
    env = {
      OXIOS_MODEL: "openai-compatible/fake",
      OXIOS_LLM_BASE_URL: fake.baseUrl,
      OXIOS_DATABASE_URL: sqld.url,
      OXIOS_DATABASE_AUTH_TOKEN: sqld.authToken ?? "",
      OXIOS_DRAIN_TIMEOUT_MS: "1000",
    };
  });

  afterAll(async () => {
    if (kernel !== undefined && kernel.child.exitCode === null) {
      kernel.child.kill("SIGKILL");
      await kernel.exited;
    }
    await fake?.close();
    await sqld?.close();
  });

  it("keeps runs, memories, spaces and the audit chain on the server, and finds them after a restart", async () => {
    kernel = await startKernel(home, env, { built: true });
    const run = await kernel.json<Run>("POST", "/api/runs", { goal: "plain on sqld" });
    const done = await kernel.json<Run>("GET", `/api/runs/${run.taskId}?waitMs=30000`);
    expect(done).toMatchObject({ status: "completed", text: "finished plain on sqld" });
    const memory = await kernel.json<{ id: string }>("POST", "/api/memory", {
      content: "The staging cluster runs in the Frankfurt region.",
      type: "fact",
    });
    const status = await kernel.json<{ memory?: { mode?: string } }>("GET", "/api/status");
    expect(JSON.stringify(status)).not.toMatch(/keyword-only/);
    expect(existsSync(join(home, "oxios.db"))).toBe(false);

    // The server holds every store's tables and rows.
    const database = await openDatabase({ url: sqld.url, authToken: sqld.authToken ?? "" });
    try {
      const prefixes = database
        .all<{ prefix: string }>("SELECT DISTINCT prefix FROM database_migrations ORDER BY prefix")
        .map((row) => row.prefix);
      expect(prefixes).toEqual(expect.arrayContaining(["audit_", "memory_", "run_", "scheduler_", "space_"]));
      expect(database.get("SELECT count(*) AS n FROM memory_codes")).toEqual({ n: 1 });
      expect((database.get<{ n: number }>("SELECT count(*) AS n FROM audit_entries")?.n ?? 0) > 0).toBe(true);
    } finally {
      database.close();
    }

    kernel.child.kill("SIGTERM");
    expect((await kernel.exited).code).toBe(0);
    kernel = await startKernel(home, env, { built: true });
    expect(await kernel.json<Run>("GET", `/api/runs/${run.taskId}`)).toMatchObject({ status: "completed" });
    const found = await kernel.json<{ results: unknown[] }>("POST", "/api/memory/search", {
      query: "Frankfurt staging cluster",
    });
    expect(JSON.stringify(found.results[0])).toContain(memory.id);
    expect(await kernel.json("GET", "/api/audit/verify")).toMatchObject({ ok: true });
    kernel.child.kill("SIGTERM");
    expect((await kernel.exited).code).toBe(0);
  });

  it("does not start while the server cannot be reached: DATABASE_UNAVAILABLE", async () => {
    const port = await freePort();
    const spawned = spawnKernel(
      { ...env, OXIOS_HOME: tempHome(), OXIOS_PORT: String(port), OXIOS_DATABASE_URL: "http://127.0.0.1:1" },
      undefined,
      { built: true },
    );
    const exit = await spawned.exited;
    expect(exit.code).not.toBe(0);
    expect(spawned.output()).toContain("DATABASE_UNAVAILABLE");
  });
});
