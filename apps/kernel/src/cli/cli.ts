/**
 * The `oxios` command line: daemon control (start, stop, restart, status), talking to the
 * running kernel over HTTP (run, chat, agent, approvals, schedule, sessions, memory, space,
 * audit, git), configuration and doctor. It loads no part of the kernel (no libsql, embedder, AI SDK, hono or zod): only
 * `doctor` needs those, and imports them when it runs.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { createLogger, KernelError, type Logger } from "@oxios/core";
import { stringify } from "smol-toml";
import {
  CONFIG_KEYS,
  configPath,
  type KernelConfig,
  loadConfig,
  oxiosHome,
  parseConfigValue,
  readConfigFile,
} from "../config.ts";
import { KernelErrorCode } from "../error-codes.ts";
import { provideApiToken, readApiToken, tokenNotice, tokenPath } from "../token.ts";
import { chat } from "./chat.ts";
import { controllerFor, KernelClient, localUrl } from "./client.ts";
import { type CommandLine, USAGE } from "./command-line.ts";
import { approvals, auditExport, git, profiles, schedule, sessions } from "./control-commands.ts";

export interface CliIo {
  environment: Readonly<Record<string, string | undefined>>;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  stdin?: NodeJS.ReadableStream;
  /** How `oxios start` runs the kernel in the foreground (built by `main.ts` from its own path). */
  foreground: { command: string; args: string[] };
}

function silentLogger(): Logger {
  return createLogger({ level: "error", write: () => undefined });
}

export async function runCli(line: CommandLine, io: CliIo): Promise<number> {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);
  const { command, sub, rest, options: values } = line;
  try {
    if (command === "config" && sub === "path") {
      out(configPath(oxiosHome(io.environment)));
      return 0;
    }
    if (command === "config" && sub === "set") return configSet(io, rest, out);
    const config = loadConfig(io.environment);
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    switch (command) {
      case "start":
        return await start(config, io, out);
      case "stop": {
        const result = await controllerFor(config, silentLogger()).stop({ timeoutMs: 30_000 });
        out(
          result.outcome === "not-running"
            ? "oxios is not running"
            : `oxios stopped (${result.outcome}, pid ${result.pid ?? "?"})`,
        );
        return 0;
      }
      case "restart": {
        await controllerFor(config, silentLogger()).stop({ timeoutMs: 30_000 });
        return await start(config, io, out);
      }
      case "status":
        return await status(config, out);
      case "run":
        return await run(config, [sub, ...rest].filter((part) => part !== undefined).join(" "), values, out);
      case "chat":
        return await chat(
          await KernelClient.connect(config),
          { input: io.stdin ?? process.stdin, write: (text) => io.stdout.write(text) },
          {
            agent: values.agent,
            session: values.session,
          },
        );
      case "agent":
        return await agent(config, sub, rest, out);
      case "approvals":
        return await approvals(await KernelClient.connect(config), sub, rest, values, out);
      case "schedule":
        return await schedule(await KernelClient.connect(config), sub, rest, values, out);
      case "sessions":
        return await sessions(await KernelClient.connect(config), sub, rest, limit, out);
      case "memory":
        return await memory(config, sub, rest, values, limit, out);
      case "space":
        return await space(config, sub, rest, values, out);
      case "audit":
        if (sub === "export") {
          return await auditExport(await KernelClient.connect(config), values, (text) => io.stdout.write(text));
        }
        return await audit(config, sub, limit, out);
      case "git":
        return await git(await KernelClient.connect(config), sub, rest, values, out);
      case "config": {
        if (sub === "get") {
          const key = rest[0];
          if (key === undefined || !(key in CONFIG_KEYS))
            throw usage(`config get KEY (keys: ${Object.keys(CONFIG_KEYS).join(", ")})`);
          out(String(configValue(config, key) ?? ""));
          return 0;
        }
        throw usage("config get KEY | config set KEY VALUE | config path");
      }
      case "doctor": {
        // libsql, sqlite-vec, the embedder and the runtime: loaded for this command only.
        const { runDoctor } = await import("./doctor.ts");
        return await runDoctor(config, out);
      }
      default:
        err(`oxios: unknown command "${command}"`);
        err(USAGE);
        return 1;
    }
  } catch (error) {
    const failure = KernelError.from(error);
    err(`oxios: ${failure.message}`);
    return 1;
  }
}

function usage(text: string): KernelError {
  return new KernelError(KernelErrorCode.cliUsageInvalid, `usage: oxios ${text}`);
}

function configValue(config: KernelConfig, key: string): unknown {
  const map: Record<string, unknown> = {
    host: config.host,
    port: config.port,
    model: config.model,
    llm_base_url: config.llmBaseUrl,
    llm_api_key: config.llmApiKey === undefined ? undefined : "(set)",
    api_token: config.apiToken === undefined ? undefined : "(set)",
    max_concurrent: config.maxConcurrent,
    rate_per_min: config.ratePerMinute,
    http_rate_per_min: config.httpRatePerMinute,
    embedder: config.embedder,
    drain_timeout_ms: config.drainTimeoutMs,
    max_resumes: config.maxResumes,
    run_retention_count: config.runRetentionCount,
    run_retention_days: config.runRetentionDays,
    keep_workspaces: config.keepWorkspaces,
    a2a_agents: config.a2aAgents.join(","),
    a2a_tokens:
      Object.keys(config.a2aTokens).length === 0 ? undefined : `(set for ${Object.keys(config.a2aTokens).length})`,
    browser: config.browser.setting,
    browser_path: config.browser.executablePath,
    agent_network: config.agentNetwork,
    exec_sandbox: config.execSandbox,
    exec_binaries: config.execBinaries?.join(","),
    exec_read_only_paths: config.execReadOnlyPaths.join(","),
    approval_timeout_ms: config.approvalTimeoutMs,
    approval_default: config.approvalDefault,
  };
  return map[key];
}

function configSet(io: CliIo, rest: string[], out: (line: string) => void): number {
  const [key, raw] = rest;
  if (key === undefined || raw === undefined) throw usage("config set KEY VALUE");
  const value = parseConfigValue(key, raw);
  const home = oxiosHome(io.environment);
  const path = configPath(home);
  const table = readConfigFile(path);
  table[key] = value;
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileSync(path, `${stringify(table)}\n`, { mode: 0o600 });
  out(`${key} = ${JSON.stringify(value)} (in ${path}; restart the kernel to apply)`);
  return 0;
}

async function start(config: KernelConfig, io: CliIo, out: (line: string) => void): Promise<number> {
  const controller = controllerFor(config, silentLogger());
  // Created here, before the daemon, so the token is shown (once, on a terminal) by the command
  // the person ran, not written into the daemon's log.
  const token = provideApiToken(config.home, config.apiToken, config.llmApiKey);
  const { command, args } = io.foreground;
  const env: Record<string, string | undefined> = { ...io.environment };
  const started = await controller.start({
    command,
    args,
    env,
    healthUrl: `${localUrl(config)}/health`,
    timeoutMs: 60_000,
  });
  out(`oxios started (pid ${started.pid}) on ${started.url}`);
  for (const line of tokenNotice(token, io.stdout.isTTY === true).lines) out(line);
  out(`  log:   ${started.logPath}`);
  return 0;
}

async function status(config: KernelConfig, out: (line: string) => void): Promise<number> {
  const state = await controllerFor(config, silentLogger()).status();
  if (state.state === "stopped") {
    out("oxios is stopped");
    return 3;
  }
  if (state.state === "stale") {
    out(
      `oxios is not running (stale pid file${state.pid === undefined ? "" : ` for pid ${state.pid}`}: ${state.reason})`,
    );
    return 3;
  }
  out(`oxios is running`);
  out(`  pid:    ${state.pid}`);
  out(`  uptime: ${Math.round(state.uptimeMs / 1000)} s`);
  out(`  url:    ${state.url ?? localUrl(config)}`);
  // Where the token is, never the token itself: this output may end up in a log or a terminal scrollback.
  out(
    config.apiToken !== undefined
      ? "  token:  from OXIOS_API_TOKEN"
      : `  token:  in ${tokenPath(config.home)}${readApiToken(config.home, undefined) === undefined ? " (not created yet)" : ""}`,
  );
  return 0;
}

interface ChatResult {
  response: string;
  sessionId: string;
  exitCode: 0 | 1;
}

async function run(
  config: KernelConfig,
  message: string,
  values: { json?: boolean; session?: string; "exit-code"?: boolean; agent?: string; "idempotency-key"?: string },
  out: (line: string) => void,
): Promise<number> {
  if (message.trim().length === 0) throw usage('run "<goal or message>" [--agent NAME] [--idempotency-key KEY]');
  const client = await KernelClient.connect(config);
  const key = values["idempotency-key"];
  if (key !== undefined) return durableRun(client, message, key, values, out);
  const result = await client.request<ChatResult>("POST", "/api/chat", {
    message,
    ...(values.session ? { sessionId: values.session } : {}),
    ...(values.agent ? { agent: values.agent } : {}),
  });
  out(values.json ? JSON.stringify(result, null, 2) : result.response);
  return values["exit-code"] ? result.exitCode : 0;
}

interface RunView {
  taskId: string;
  status: string;
  text?: string;
  error?: { code: string; message: string };
}

/**
 * A direct run submitted once: `POST /api/runs` with the `Idempotency-Key` header (running the
 * same command again within 24 h follows the first run instead of starting another, also after
 * a kernel restart), then long polls until it has finished.
 */
async function durableRun(
  client: KernelClient,
  goal: string,
  key: string,
  values: { json?: boolean; session?: string; "exit-code"?: boolean; agent?: string },
  out: (line: string) => void,
): Promise<number> {
  const started = await client.request<{ taskId: string }>(
    "POST",
    "/api/runs",
    {
      goal,
      ...(values.session ? { sessionId: values.session } : {}),
      ...(values.agent ? { agent: values.agent } : {}),
    },
    { "idempotency-key": key },
  );
  let run: RunView;
  do {
    run = await client.request<RunView>("GET", `/api/runs/${started.taskId}?waitMs=30000`);
  } while (run.status === "queued" || run.status === "running");
  out(values.json ? JSON.stringify(run, null, 2) : (run.text ?? `${run.status}: ${run.error?.message ?? ""}`));
  return values["exit-code"] && run.status !== "completed" ? 1 : 0;
}

async function agent(config: KernelConfig, sub: string | undefined, rest: string[], out: (line: string) => void) {
  const client = await KernelClient.connect(config);
  if (sub === "list") {
    const { agents } = await client.request<{
      agents: Array<{ id: string; name: string; status: string; runs: number }>;
    }>("GET", "/api/agents");
    for (const item of agents) out(`${item.id}  ${item.status.padEnd(8)}  runs=${item.runs}  ${item.name}`);
    return 0;
  }
  if (sub === "kill" && rest[0] !== undefined) {
    const killed = await client.request<{ id: string; status: string }>("POST", `/api/agents/${rest[0]}/kill`);
    out(`${killed.id} ${killed.status}`);
    return 0;
  }
  if (sub === "profiles") return profiles(client, out);
  throw usage("agent list | agent kill ID | agent profiles");
}

async function memory(
  config: KernelConfig,
  sub: string | undefined,
  rest: string[],
  values: { type?: string; tags?: string },
  limit: number | undefined,
  out: (line: string) => void,
) {
  const client = await KernelClient.connect(config);
  if (sub === "add" && rest.length > 0) {
    const entry = await client.request<{ id: string; type: string }>("POST", "/api/memory", {
      content: rest.join(" "),
      ...(values.type ? { type: values.type } : {}),
      ...(values.tags ? { tags: values.tags.split(",").map((tag) => tag.trim()) } : {}),
    });
    out(`${entry.id}  ${entry.type}`);
    return 0;
  }
  if (sub === "search" && rest.length > 0) {
    const { results } = await client.request<{ results: Array<{ id: string; score: number; content: string }> }>(
      "POST",
      "/api/memory/search",
      { query: rest.join(" "), ...(limit === undefined ? {} : { limit }) },
    );
    for (const hit of results) out(`${hit.score.toFixed(4)}  ${hit.id}  ${hit.content}`);
    return 0;
  }
  if (sub === "list") {
    const { memories } = await client.request<{ memories: Array<{ id: string; type: string; content: string }> }>(
      "GET",
      `/api/memory${limit === undefined ? "" : `?limit=${limit}`}`,
    );
    for (const entry of memories) out(`${entry.id}  ${entry.type.padEnd(10)}  ${entry.content}`);
    return 0;
  }
  throw usage("memory add TEXT | memory search QUERY | memory list");
}

async function space(
  config: KernelConfig,
  sub: string | undefined,
  rest: string[],
  values: { description?: string },
  out: (line: string) => void,
) {
  const client = await KernelClient.connect(config);
  if (sub === "list") {
    const { spaces } = await client.request<{ spaces: Array<{ id: string; name: string; emoji: string }> }>(
      "GET",
      "/api/spaces",
    );
    for (const item of spaces) out(`${item.id}  ${item.emoji} ${item.name}`);
    return 0;
  }
  if (sub === "create" && rest.length > 0) {
    const created = await client.request<{ id: string; name: string }>("POST", "/api/spaces", {
      name: rest.join(" "),
      ...(values.description ? { description: values.description } : {}),
    });
    out(`${created.id}  ${created.name}`);
    return 0;
  }
  throw usage("space list | space create NAME");
}

async function audit(
  config: KernelConfig,
  sub: string | undefined,
  limit: number | undefined,
  out: (line: string) => void,
) {
  const client = await KernelClient.connect(config);
  if (sub === "verify") {
    const result = await client.request<{ ok: boolean; entries: number; firstBadSeq?: number; reason?: string }>(
      "GET",
      "/api/audit/verify",
    );
    out(
      result.ok
        ? `audit chain ok (${result.entries} entries)`
        : `audit chain BROKEN at seq ${result.firstBadSeq}: ${result.reason}`,
    );
    return result.ok ? 0 : 1;
  }
  if (sub === "tail") {
    const verify = await client.request<{ entries: number }>("GET", "/api/audit/verify");
    const count = limit ?? 20;
    const from = Math.max(1, verify.entries - count + 1);
    const { entries } = await client.request<{
      entries: Array<{ seq: number; at: number; actor: string; action: string; resource: string }>;
    }>("GET", `/api/audit?from=${from}&limit=${count}`);
    for (const entry of entries) {
      out(
        `${String(entry.seq).padStart(6)}  ${new Date(entry.at).toISOString()}  ${entry.actor}  ${entry.action}  ${entry.resource}`,
      );
    }
    return 0;
  }
  throw usage("audit verify | audit tail [--limit N]");
}
