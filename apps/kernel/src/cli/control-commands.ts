/**
 * The operator's commands over the HTTP API: `approvals`, `schedule`, `sessions`,
 * `agent profiles`, `audit export` and the `git` tag/verify/restore commands. Each is a thin
 * client: it sends one request and prints the answer.
 */

import { userInfo } from "node:os";
import { KernelError } from "@oxios/core";
import type { ProfileView } from "../control-plane.ts";
import { KernelErrorCode } from "../error-codes.ts";
import type { KernelClient } from "./client.ts";
import type { CommandLineOptions } from "./command-line.ts";

type Out = (line: string) => void;

function usage(text: string): KernelError {
  return new KernelError(KernelErrorCode.cliUsageInvalid, `usage: oxios ${text}`);
}

const time = (ms: number | undefined) => (ms === undefined ? "-" : new Date(ms).toISOString());

function seconds(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)}m`;
}

/** Who decides, as the API records it (`operator:<name>`): the option, else the OS user. */
function decider(options: CommandLineOptions): string {
  if (options.by !== undefined) return options.by;
  const name = userInfo()
    .username.replace(/[^A-Za-z0-9._@-]/g, "")
    .slice(0, 64);
  return name.length > 0 ? name : "cli";
}

interface Approval {
  approvalId: string;
  agentId: string;
  profile?: string;
  runId?: string;
  tool: string;
  input?: unknown;
  reason: string;
  ageMs: number;
  status: string;
  decidedBy?: string;
}

export async function approvals(
  client: KernelClient,
  sub: string | undefined,
  rest: string[],
  options: CommandLineOptions,
  out: Out,
): Promise<number> {
  if (sub === undefined || sub === "list") {
    const status = options.all === true ? "all" : "pending";
    const { approvals: list } = await client.request<{ approvals: Approval[] }>(
      "GET",
      `/api/approvals?status=${status}`,
    );
    if (list.length === 0) out(status === "pending" ? "no pending approvals" : "no approvals");
    for (const item of list) {
      const who = item.profile === undefined ? item.agentId : `${item.profile} (${item.agentId})`;
      const decided = item.status === "pending" ? "" : `  ${item.status} by ${item.decidedBy ?? "?"}`;
      out(`${item.approvalId}  ${seconds(item.ageMs).padStart(4)}  ${item.tool}  ${who}  ${item.reason}${decided}`);
      if (item.input !== undefined) out(`    input: ${JSON.stringify(item.input)}`);
    }
    return 0;
  }
  if ((sub === "approve" || sub === "reject") && rest[0] !== undefined) {
    const decided = await client.request<Approval>("POST", `/api/approvals/${encodeURIComponent(rest[0])}/${sub}`, {
      by: decider(options),
      ...(options.reason === undefined ? {} : { reason: options.reason }),
    });
    out(`${decided.approvalId} ${decided.status} by ${decided.decidedBy ?? "?"}`);
    return 0;
  }
  throw usage("approvals [list] [--all] | approvals approve ID [--reason TEXT] | approvals reject ID [--reason TEXT]");
}

interface Schedule {
  name: string;
  cron?: string;
  every?: string;
  timezone: string;
  goal: string;
  agent?: string;
  enabled: boolean;
  source: string;
  nextFireAt?: number;
  lastFiredAt?: number;
  lastTaskId?: string;
  missed: string;
  overlap: string;
}

function describeSchedule(item: Schedule): string {
  const when = item.cron === undefined ? `every ${item.every}` : `${item.cron} ${item.timezone}`;
  const as = item.agent === undefined ? "" : ` as ${item.agent}`;
  const next = item.enabled ? `next ${time(item.nextFireAt)}` : "disabled";
  return `${item.name}  ${when}${as}  ${next}  (${item.source})  ${item.goal}`;
}

export async function schedule(
  client: KernelClient,
  sub: string | undefined,
  rest: string[],
  options: CommandLineOptions,
  out: Out,
): Promise<number> {
  const name = rest[0];
  if (sub === undefined || sub === "list") {
    const { schedules } = await client.request<{ schedules: Schedule[] }>("GET", "/api/schedules");
    if (schedules.length === 0) out("no schedules");
    for (const item of schedules) out(describeSchedule(item));
    return 0;
  }
  if (sub === "show" && name !== undefined) {
    const item = await client.request<Schedule>("GET", `/api/schedules/${encodeURIComponent(name)}`);
    out(describeSchedule(item));
    out(`  missed: ${item.missed}  overlap: ${item.overlap}  last fired: ${time(item.lastFiredAt)}`);
    if (item.lastTaskId !== undefined) out(`  last run: ${item.lastTaskId}`);
    return 0;
  }
  if (sub === "add" && name !== undefined) {
    const goal = options.goal ?? rest.slice(1).join(" ");
    if (goal.trim() === "" || (options.cron === undefined) === (options.every === undefined)) {
      throw usage('schedule add NAME (--cron "0 9 * * 1-5" | --every 1h) --goal TEXT [--agent NAME] [--tz ZONE]');
    }
    const created = await client.request<Schedule>("POST", "/api/schedules", {
      name,
      goal,
      ...(options.cron === undefined ? {} : { cron: options.cron }),
      ...(options.every === undefined ? {} : { every: options.every }),
      ...(options.tz === undefined ? {} : { timezone: options.tz }),
      ...(options.agent === undefined ? {} : { agent: options.agent }),
      ...(options.missed === undefined ? {} : { missed: options.missed }),
      ...(options.overlap === undefined ? {} : { overlap: options.overlap }),
    });
    out(describeSchedule(created));
    return 0;
  }
  if (sub === "rm" && name !== undefined) {
    await client.request("DELETE", `/api/schedules/${encodeURIComponent(name)}`);
    out(`${name} deleted`);
    return 0;
  }
  if (sub === "run" && name !== undefined) {
    const result = await client.request<{ started: boolean; taskId?: string }>(
      "POST",
      `/api/schedules/${encodeURIComponent(name)}/run`,
    );
    out(result.started ? `${name} started run ${result.taskId}` : `${name} queued behind its running run`);
    return 0;
  }
  throw usage("schedule [list] | schedule show NAME | schedule add NAME … | schedule rm NAME | schedule run NAME");
}

export async function sessions(
  client: KernelClient,
  sub: string | undefined,
  rest: string[],
  limit: number | undefined,
  out: Out,
): Promise<number> {
  const id = rest[0];
  if (sub === undefined || sub === "list") {
    const { sessions: list } = await client.request<{
      sessions: Array<{ id: string; spaceId?: string; turns: number; lastActivityAt: number }>;
    }>("GET", `/api/sessions${limit === undefined ? "" : `?limit=${limit}`}`);
    if (list.length === 0) out("no sessions");
    for (const item of list) {
      out(`${item.id}  ${time(item.lastActivityAt)}  turns=${item.turns}  space=${item.spaceId ?? "-"}`);
    }
    return 0;
  }
  if (sub === "show" && id !== undefined) {
    const session = await client.request<{
      id: string;
      spaceId: string;
      turns: Array<{ role: string; content: string; at: number }>;
    }>("GET", `/api/sessions/${encodeURIComponent(id)}`);
    out(`session ${session.id} (space ${session.spaceId})`);
    for (const turn of session.turns) out(`[${time(turn.at)}] ${turn.role}: ${turn.content}`);
    return 0;
  }
  if (sub === "rm" && id !== undefined) {
    await client.request("DELETE", `/api/sessions/${encodeURIComponent(id)}`);
    out(`${id} deleted`);
    return 0;
  }
  throw usage("sessions [list] [--limit N] | sessions show ID | sessions rm ID");
}

export async function profiles(client: KernelClient, out: Out): Promise<number> {
  const { profiles: list } = await client.request<{ profiles: ProfileView[] }>("GET", "/api/agents/profiles");
  if (list.length === 0) out("no agent profiles (add [agents.<name>] to config.toml)");
  for (const item of list) {
    const models = [item.model, ...item.fallbackModels].join(" → ");
    const exec = item.execAllow === null ? "default" : item.execAllow.join(",");
    out(`${item.name}  ${models}  ${item.role}/${item.template}  exec=${exec}  workspace=${item.workspace}`);
    if (item.description !== undefined) out(`    ${item.description}`);
  }
  return 0;
}

/** Streams the audit trail as JSON lines to stdout. */
export async function auditExport(
  client: KernelClient,
  options: CommandLineOptions,
  write: (text: string) => void,
): Promise<number> {
  const response = await client.stream(
    "GET",
    `/api/audit/export${options.from === undefined ? "" : `?from=${options.from}`}`,
  );
  const body = response.body;
  if (body === null) return 0;
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>)
    write(decoder.decode(chunk, { stream: true }));
  return 0;
}

export async function git(
  client: KernelClient,
  sub: string | undefined,
  rest: string[],
  options: CommandLineOptions,
  out: Out,
): Promise<number> {
  if (sub === "log") {
    const depth = options.depth === undefined ? 20 : Number(options.depth);
    const { commits } = await client.request<{
      commits: Array<{ oid: string; message: string; timestamp: number }>;
    }>("GET", `/api/git/log?depth=${depth}`);
    for (const commit of commits) {
      out(`${commit.oid.slice(0, 10)}  ${new Date(commit.timestamp * 1000).toISOString()}  ${commit.message.trim()}`);
    }
    return 0;
  }
  if (sub === "tags") {
    const { tags } = await client.request<{ tags: string[] }>("GET", "/api/git/tags");
    for (const tag of tags) out(tag);
    return 0;
  }
  if (sub === "tag" && rest[0] !== undefined) {
    const tagged = await client.request<{ name: string; commit: string }>("POST", "/api/git/tags", {
      name: rest[0],
      ...(options.commit === undefined ? {} : { commit: options.commit }),
    });
    out(`tagged ${tagged.commit} as ${tagged.name}`);
    return 0;
  }
  if (sub === "verify") {
    const result = await client.request<{ ok: boolean; commits: number; objects: number; problems: string[] }>(
      "GET",
      "/api/git/verify",
    );
    out(
      result.ok
        ? `state repository ok (${result.commits} commits, ${result.objects} objects)`
        : `state repository BROKEN:\n${result.problems.join("\n")}`,
    );
    return result.ok ? 0 : 1;
  }
  if (sub === "restore" && rest[0] !== undefined && options.commit !== undefined) {
    const restored = await client.request<{ path: string; commit: string }>("POST", "/api/git/restore", {
      path: rest[0],
      commit: options.commit,
    });
    out(`restored ${restored.path} from ${restored.commit}`);
    return 0;
  }
  throw usage(
    "git log [--depth N] | git tags | git tag NAME [--commit REF] | git verify | git restore PATH --commit REF",
  );
}
