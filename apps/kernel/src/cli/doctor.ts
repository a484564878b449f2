/**
 * `oxios doctor`: checks Node, sqlite-vec, the embedder, the model, the port, permissions and
 * the exec sandbox, and says whether the browser is on (and why) and which MCP servers and A2A
 * agents are configured.
 */

import { accessSync, constants, existsSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { createLogger } from "@oxios/core";
import { inspectPidFile } from "@oxios/daemon";
import { openDatabase } from "@oxios/database";
import { HashingEmbedder, loadSqliteVec, UniversalSentenceEncoderEmbedder } from "@oxios/memory";
import type { KernelConfig } from "../config.ts";
import { createExecSandbox, execSandboxStatus } from "../exec-sandbox.ts";
import { tokenPath } from "../token.ts";
import { checkModel } from "./model-check.ts";

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: Math.round(performance.now() - started) };
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export async function runDoctor(config: KernelConfig, out: (line: string) => void): Promise<number> {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string, fix?: string) =>
    checks.push({ name, ok, detail, ...(fix === undefined ? {} : { fix }) });
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  add("node", major > 20 || (major === 20 && minor >= 11), `v${process.versions.node} (needs ≥ 20.11)`);

  try {
    const db = await openDatabase({ url: ":memory:" });
    loadSqliteVec(db);
    const row = db.get<{ version: string }>("select vec_version() as version");
    db.close();
    add("sqlite-vec", true, `loaded (${row?.version})`);
  } catch (error) {
    add("sqlite-vec", false, `cannot load: ${(error as Error).message}`);
  }

  try {
    if (config.embedder === "keyword-only") add("embedder", true, "keyword-only (no vectors)");
    else {
      const embedder = config.embedder === "hashing" ? new HashingEmbedder() : new UniversalSentenceEncoderEmbedder();
      const { value, ms } = await timed(() => embedder.embed(["doctor check"]));
      add(
        "embedder",
        value[0]?.length === embedder.dimensions,
        `${embedder.id}: ${embedder.dimensions}-d, loaded in ${ms} ms`,
      );
    }
  } catch (error) {
    add("embedder", false, (error as Error).message);
  }

  const model = await checkModel(config);
  add("model", model.ok, model.detail, model.fix);

  const pid = await inspectPidFile(config.home);
  if (pid.state === "running") add("port", true, `in use by the running kernel (pid ${pid.record.pid})`);
  else {
    const free = await portFree(config.host, config.port);
    add(
      "port",
      free,
      free ? `${config.host}:${config.port} is free` : `${config.host}:${config.port} is taken by another program`,
    );
  }

  try {
    if (existsSync(config.home)) accessSync(config.home, constants.R_OK | constants.W_OK);
    const token = tokenPath(config.home);
    const mode = existsSync(token) ? statSync(token).mode & 0o777 : undefined;
    const tokenOk = mode === undefined || (mode & 0o077) === 0;
    add(
      "permissions",
      tokenOk,
      `${config.home} writable; api-token ${mode === undefined ? "not created yet" : `mode ${mode.toString(8)}`}${tokenOk ? "" : " (should be 600)"}`,
    );
  } catch (error) {
    add("permissions", false, `${config.home}: ${(error as Error).message}`);
  }

  const sandbox = createExecSandbox(config, {
    logger: createLogger({ level: "error", write: () => undefined }),
    spares: 0,
  });
  const sandboxStatus = await execSandboxStatus(sandbox);
  await sandbox.close();
  add(
    "sandbox",
    sandboxStatus.available,
    sandboxStatus.kind === "none"
      ? `none — WARNING: ${sandboxStatus.reason}`
      : sandboxStatus.available
        ? `${sandboxStatus.kind} (every exec runs in it)`
        : `${sandboxStatus.kind}: ${sandboxStatus.reason} — exec is refused until it can start`,
  );

  const browser = config.browser;
  add("browser", !(browser.setting === "on" && !existsSync(browser.executablePath)), browser.reason);
  const mcp = config.mcpServers.filter((server) => server.enabled).map((server) => server.name);
  add("mcp", true, mcp.length === 0 ? "no servers configured" : `servers: ${mcp.join(", ")} (started with the kernel)`);
  add(
    "a2a",
    true,
    config.a2aAgents.length === 0 ? "no remote agents configured" : `remote agents: ${config.a2aAgents.join(", ")}`,
  );

  for (const notice of config.notices) out(`note  ${notice}`);
  for (const check of checks) {
    out(`${check.ok ? "ok  " : "FAIL"}  ${check.name.padEnd(12)} ${check.detail}`);
    if (!check.ok && check.fix !== undefined) out(`      ${"".padEnd(12)} fix: ${check.fix}`);
  }
  return checks.every((check) => check.ok) ? 0 : 1;
}
