/**
 * The `oxios` command line: daemon control (start, stop, restart, status), talking to the
 * running kernel over HTTP (run, chat, agent, approvals, schedule, sessions, memory, space,
 * audit, git), configuration and doctor. It loads no part of the kernel (no libsql, embedder, AI SDK, hono or zod): only
 * `doctor` needs those, and imports them when it runs.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { createLogger, KernelError, type Logger } from "@oxios/core";
import { inspectPidFile } from "@oxios/daemon";
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
import { configTemplate } from "../config-template.ts";
import { type ConfigValue, configView, formatConfigValue } from "../config-view.ts";
import { KernelErrorCode } from "../error-codes.ts";
import { modelSetupProblem } from "../model-setup.ts";
import { provideApiToken, readApiToken, tokenNotice, tokenPath } from "../token.ts";
import { chat } from "./chat.ts";
import { controllerFor, KernelClient, localUrl } from "./client.ts";
import { type CommandLine, INTERRUPTED, USAGE } from "./command-line.ts";
import { consoleUrl, openerFor, openUrl } from "./console-command.ts";
import { approvals, auditExport, git, profiles, schedule, sessions } from "./control-commands.ts";

export interface CliIo {
  environment: Readonly<Record<string, string | undefined>>;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  stdin?: NodeJS.ReadableStream;
  /** How `oxios start` runs the kernel in the foreground (built by `main.ts` from its own path). */
  foreground: { command: string; args: string[] };
  /** Aborted by the first Ctrl-C (SIGINT) of `run` and `chat`: the run in the kernel is stopped. */
  interrupt?: AbortSignal;
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
    if (command === "init") return init(io, values.print === true, out);
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
      case "console":
        return await openConsole(config, io, values.print === true, out, err);
      case "run":
        return await run(
          config,
          [sub, ...rest].filter((part) => part !== undefined).join(" "),
          values,
          io.interrupt,
          out,
          err,
        );
      case "chat":
        return await chat(
          await KernelClient.connect(config),
          {
            input: io.stdin ?? process.stdin,
            write: (text) => io.stdout.write(text),
            error: err,
            ...(io.interrupt === undefined ? {} : { interrupt: io.interrupt }),
          },
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
        if (sub === "get") return await configGet(config, rest[0], out, err);
        throw usage("config get [KEY] | config set KEY VALUE | config path");
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

/**
 * `oxios config get [KEY]`: the running kernel's configuration (asked over the API) when one
 * runs in this home, else what config.toml and this environment make of it; secrets masked
 * either way. Without KEY every key, with a first line saying which of the two it is.
 */
async function configGet(
  config: KernelConfig,
  key: string | undefined,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  if (key !== undefined && !(key in CONFIG_KEYS) && key !== "mcp_servers") {
    throw usage(`config get [KEY] (keys: ${Object.keys(CONFIG_KEYS).join(", ")}, mcp_servers)`);
  }
  let values: Record<string, ConfigValue>;
  let origin: string;
  if ((await inspectPidFile(config.home)).state === "running") {
    const client = await KernelClient.connect(config);
    const effective = await client.request<{ values: Record<string, ConfigValue> }>("GET", "/api/config");
    values = effective.values;
    origin = `the running kernel's configuration (${client.url})`;
  } else {
    values = configView(config);
    origin = `from ${config.configPath} and the environment (no kernel is running)`;
  }
  if (key !== undefined) {
    out(formatConfigValue(values[key]));
    return 0;
  }
  err(`# ${origin}`);
  for (const [name, value] of Object.entries(values)) out(`${name} = ${formatConfigValue(value)}`);
  return 0;
}

/** `oxios init`: the commented config.toml, written once (or printed with `--print`). */
function init(io: CliIo, print: boolean, out: (line: string) => void): number {
  const text = configTemplate();
  if (print) {
    io.stdout.write(text);
    return 0;
  }
  const home = oxiosHome(io.environment);
  const path = configPath(home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, text, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    throw new KernelError(
      KernelErrorCode.configExists,
      `${path} already exists; it was left as it is (\`oxios init --print\` shows the commented template)`,
      { details: { file: path } },
    );
  }
  out(`wrote ${path}: every key with its default, commented out; uncomment a line to change it`);
  out("then `oxios doctor` checks the model and the rest, and `oxios start` starts the kernel");
  return 0;
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
  // A model that cannot work is said in one sentence here, before a daemon is started for nothing.
  const problem = modelSetupProblem(config);
  if (problem !== undefined) {
    throw new KernelError(KernelErrorCode.configInvalid, `${problem.cause}: ${problem.fix}`, {
      details: { key: "model" },
    });
  }
  const controller = controllerFor(config, silentLogger());
  // Created here, before the daemon, so the token is shown (once, on a terminal) by the command
  // the person ran, not written into the daemon's log.
  const token = provideApiToken(config.home, config.apiToken, config.llmApiKey);
  const { command, args } = io.foreground;
  const env: Record<string, string | undefined> = { ...io.environment };
  let started: Awaited<ReturnType<typeof controller.start>>;
  try {
    started = await controller.start({
      command,
      args,
      env,
      healthUrl: `${localUrl(config)}/health`,
      timeoutMs: 60_000,
    });
  } catch (error) {
    throw startFailure(error);
  }
  out(`oxios started (pid ${started.pid}) on ${started.url}`);
  for (const line of tokenNotice(token, io.stdout.isTTY === true).lines) out(line);
  out(`  log:   ${started.logPath}`);
  return 0;
}

/**
 * A daemon that exited during boot: its own one-line reason (the `oxios: …` line the kernel
 * prints before it exits) instead of the log's last lines, and where the log is.
 */
function startFailure(error: unknown): KernelError {
  const failure = KernelError.from(error);
  const details = failure.details as { logTail?: string[]; logPath?: string } | undefined;
  const reason = [...(details?.logTail ?? [])].reverse().find((line) => line.startsWith("oxios: "));
  if (reason === undefined) return failure;
  return new KernelError(failure.code, `${reason.slice("oxios: ".length)} (log: ${details?.logPath ?? "?"})`, {
    cause: failure,
    ...(failure.details === undefined ? {} : { details: failure.details }),
  });
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
  if (/^(https?|libsql):/.test(config.databaseUrl)) await clusterStatus(config, out);
  return 0;
}

async function openConsole(
  config: KernelConfig,
  io: CliIo,
  printOnly: boolean,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const state = await controllerFor(config, silentLogger()).status();
  if (state.state !== "running") {
    err("oxios is not running; start it with `oxios start`");
    return 3;
  }
  const token = readApiToken(config.home, config.apiToken);
  if (token === undefined) {
    err(`no API token in ${tokenPath(config.home)}; start the kernel once to create it`);
    return 1;
  }
  const url = consoleUrl(state.url ?? localUrl(config), token);
  out(url);
  const opener = openerFor(process.platform, io.environment);
  if (!printOnly && io.stdout.isTTY === true && opener !== undefined) {
    const problem = await openUrl(opener, url);
    if (problem !== undefined) err(problem);
  }
  return 0;
}

interface ClusterView {
  node: string | null;
  nodes: Array<{ id: string; url: string; heartbeatAgeMs: number; live: boolean; runs: number; self: boolean }>;
}

/** The nodes sharing this kernel's served database, one line each, as `GET /api/cluster` gives them. */
async function clusterStatus(config: KernelConfig, out: (line: string) => void): Promise<void> {
  let view: ClusterView;
  try {
    view = await (await KernelClient.connect(config)).request<ClusterView>("GET", "/api/cluster");
  } catch (error) {
    out(`  cluster: unknown (${KernelError.from(error).message})`);
    return;
  }
  const live = view.nodes.filter((node) => node.live).length;
  out(`  cluster: node ${view.node ?? "?"}, ${live} of ${view.nodes.length} nodes live`);
  for (const node of view.nodes) {
    const state = node.live ? "live" : "gone";
    const heartbeat = `heartbeat ${(node.heartbeatAgeMs / 1000).toFixed(1)} s ago`;
    out(
      `    ${node.id.padEnd(20)} ${state}  runs=${node.runs}  ${heartbeat}  ${node.url}${node.self ? "  (this node)" : ""}`,
    );
  }
}

interface ChatResult {
  response: string;
  sessionId: string;
  exitCode: 0 | 1;
  score?: number;
  generations?: number;
}

/**
 * `oxios run`: the answer as text (the whole result with `--json`); exit 1 when the run or its
 * evaluation failed, said on stderr in one line.
 */
async function run(
  config: KernelConfig,
  message: string,
  values: { json?: boolean; session?: string; agent?: string; "idempotency-key"?: string },
  interrupt: AbortSignal | undefined,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  if (message.trim().length === 0) throw usage('run "<goal or message>" [--agent NAME] [--idempotency-key KEY]');
  const client = await KernelClient.connect(config);
  const key = values["idempotency-key"];
  if (key !== undefined) return durableRun(client, message, key, values, interrupt, out, err);
  let result: ChatResult;
  try {
    result = await client.request<ChatResult>(
      "POST",
      "/api/chat",
      {
        message,
        ...(values.session ? { sessionId: values.session } : {}),
        ...(values.agent ? { agent: values.agent } : {}),
      },
      {},
      interrupt,
    );
  } catch (error) {
    if (interrupt?.aborted !== true) throw error;
    // The request's connection closed: the kernel aborts the run it was serving for it.
    err("oxios: cancelled (Ctrl-C); the kernel stopped the run");
    return INTERRUPTED;
  }
  out(values.json ? JSON.stringify(result, null, 2) : result.response);
  if (result.exitCode !== 0 && !values.json) {
    const score = result.score === undefined ? "" : ` (score ${result.score}`;
    const runs = result.generations === undefined ? "" : `${score === "" ? " (" : ", "}${result.generations} run(s)`;
    err(`oxios: the task did not pass its evaluation${score}${runs}${score === "" && runs === "" ? "" : ")"}`);
  }
  return result.exitCode;
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
 * a kernel restart), then long polls until it has finished; exit 1 unless it completed.
 */
async function durableRun(
  client: KernelClient,
  goal: string,
  key: string,
  values: { json?: boolean; session?: string; agent?: string },
  interrupt: AbortSignal | undefined,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  // Not abortable: once sent, the run exists, and Ctrl-C must be able to name and cancel it.
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
  let run: RunView | undefined;
  try {
    do {
      interrupt?.throwIfAborted();
      run = await client.request<RunView>("GET", `/api/runs/${started.taskId}?waitMs=30000`, undefined, {}, interrupt);
    } while (run.status === "queued" || run.status === "running");
  } catch (error) {
    if (interrupt?.aborted !== true) throw error;
    // A durable run outlives this command unless it is cancelled: Ctrl-C cancels it.
    await client.request("POST", `/api/runs/${started.taskId}/cancel`);
    err(`oxios: cancelled (Ctrl-C): run ${started.taskId}`);
    return INTERRUPTED;
  }
  out(values.json ? JSON.stringify(run, null, 2) : (run.text ?? ""));
  if (run.status === "completed") return 0;
  if (!values.json) {
    err(`oxios: the run ${run.status}${run.error === undefined ? "" : `: ${run.error.code}: ${run.error.message}`}`);
  }
  return 1;
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
  values: { type?: string; tags?: string; "include-episodes"?: boolean },
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
    const { results } = await client.request<{
      results: Array<{ id: string; type: string; score: number; content: string }>;
    }>("POST", "/api/memory/search", {
      query: rest.join(" "),
      ...(limit === undefined ? {} : { limit }),
      ...(values["include-episodes"] ? { includeEpisodes: true } : {}),
    });
    for (const hit of results) out(`${hit.id}  ${hit.type.padEnd(10)}  ${oneLine(hit.content)}`);
    return 0;
  }
  if (sub === "list") {
    const { memories } = await client.request<{ memories: Array<{ id: string; type: string; content: string }> }>(
      "GET",
      `/api/memory${limit === undefined ? "" : `?limit=${limit}`}`,
    );
    for (const entry of memories) out(`${entry.id}  ${entry.type.padEnd(10)}  ${oneLine(entry.content)}`);
    return 0;
  }
  throw usage("memory add TEXT | memory search QUERY | memory list");
}

/** A memory on one line of a listing: its whitespace (newlines too) collapsed, long text cut. */
export function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
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
