/**
 * A scheduled goal: when it fires (a cron expression in a time zone, parsed by `croner`, or a
 * fixed interval), what it runs (a goal, optionally as a named agent profile), what happens to
 * firings missed while the kernel was down (`skip` or `run-once`) and to a firing that comes
 * while the previous run still goes (`skip` or `queue`).
 *
 * `parseGoalSchedule` checks untrusted input (HTTP, config, an agent's tool call) and throws
 * `SCHEDULER_SCHEDULE_INVALID` naming the field (`details.field`); `nextFireAfter` is the one place that
 * computes when a schedule fires next. Croner evaluates cron in the schedule's time zone, so a
 * daily 09:00 stays 09:00 local across a daylight-saving change.
 */

import { KernelError } from "@oxios/core";
import { Cron } from "croner";
import { SchedulerErrorCode } from "./error-codes.ts";

export type MissedFirePolicy = "skip" | "run-once";
export type OverlapPolicy = "skip" | "queue";
/** Who defined the schedule: `config.toml`, the HTTP API (and CLI), or an agent's `schedule_*` tool. */
export type GoalScheduleSource = "config" | "api" | "agent";

/** A validated schedule definition. Exactly one of `cron` and `every` is set. */
export interface GoalSchedule {
  /** 1–64 of `[a-z0-9_-]`, starting with a letter or digit. */
  name: string;
  /** A cron expression: five fields (minute hour day-of-month month day-of-week), or six with seconds first. */
  cron?: string;
  /** An interval such as `15m`, `1h30m` or `1d` (units s, m, h, d), at least 1 s. */
  every?: string;
  /** IANA time zone the cron expression is read in. Default `UTC`. */
  timezone: string;
  goal: string;
  /** The agent profile the goal runs as; absent: the default agent. */
  agent?: string;
  missed: MissedFirePolicy;
  overlap: OverlapPolicy;
  enabled: boolean;
  source: GoalScheduleSource;
}

/** What `parseGoalSchedule` accepts (the HTTP body, a config table, a tool's input). */
export interface GoalScheduleInput {
  name?: unknown;
  cron?: unknown;
  every?: unknown;
  timezone?: unknown;
  goal?: unknown;
  agent?: unknown;
  missed?: unknown;
  overlap?: unknown;
  enabled?: unknown;
}

export const SCHEDULE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const DURATION = /^(?:\d+[smhd])+$/;
const DURATION_PART = /(\d+)([smhd])/g;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Goals longer than this are refused (a schedule's goal is a prompt, not a document). */
export const MAX_GOAL_CHARS = 100_000;

function invalid(field: string, message: string, value?: unknown): KernelError {
  return new KernelError(SchedulerErrorCode.scheduleInvalid, `${field}: ${message}`, {
    details: value === undefined ? { field } : { field, value },
  });
}

/** Milliseconds of an interval like `90s`, `15m`, `1h30m`; `SCHEDULER_SCHEDULE_INVALID` (field `every`) otherwise. */
export function parseInterval(every: string): number {
  const text = every.trim();
  if (!DURATION.test(text)) throw invalid("every", 'must be a duration such as "30s", "15m", "1h30m" or "1d"', every);
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) ms += Number(amount) * (UNIT_MS[unit as string] ?? 0);
  if (!Number.isSafeInteger(ms) || ms < 1_000) throw invalid("every", "must be at least 1s", every);
  return ms;
}

/** The croner pattern for `cron` in `timezone`; `SCHEDULER_SCHEDULE_INVALID` naming `cron` or `timezone`. */
function cronOf(cron: string, timezone: string): Cron {
  try {
    return new Cron(cron, { timezone, paused: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid("cron", reason.replace(/^CronPattern: /, ""), cron);
  }
}

function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw invalid("timezone", 'must be an IANA time zone such as "UTC" or "Europe/Berlin"', timezone);
  }
}

function text(field: string, value: unknown, required: boolean, max = 256): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw invalid(field, "is required");
    return undefined;
  }
  if (typeof value !== "string" || value.trim().length === 0) throw invalid(field, "must be a non-empty string", value);
  if (value.length > max) throw invalid(field, `must be at most ${max} characters`);
  return value.trim();
}

function choice<T extends string>(field: string, value: unknown, choices: readonly T[], fallback: T): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "string" || !choices.includes(value as T)) {
    throw invalid(field, `must be one of ${choices.map((item) => `"${item}"`).join(", ")}`, value);
  }
  return value as T;
}

/**
 * Validates a schedule definition. Throws `SCHEDULER_SCHEDULE_INVALID` with `details.field` naming the
 * first bad field: a cron expression croner refuses (its message names the cron field, such
 * as "Invalid value for minute: 61"), one that never fires, an unknown time zone, both or
 * neither of `cron` and `every`.
 */
export function parseGoalSchedule(input: GoalScheduleInput, source: GoalScheduleSource): GoalSchedule {
  if (typeof input !== "object" || input === null) throw invalid("schedule", "must be an object");
  const name = text("name", input.name, true, 64) as string;
  if (!SCHEDULE_NAME_PATTERN.test(name)) {
    throw invalid("name", "must be 1–64 of a-z, 0-9, '_' and '-', starting with a letter or digit", name);
  }
  const cron = text("cron", input.cron, false);
  const every = text("every", input.every, false, 64);
  if ((cron === undefined) === (every === undefined)) {
    throw invalid(cron === undefined ? "cron" : "every", "give exactly one of cron and every");
  }
  const timezone = text("timezone", input.timezone, false, 64) ?? "UTC";
  checkTimezone(timezone);
  const goal = text("goal", input.goal, true, MAX_GOAL_CHARS) as string;
  const agent = text("agent", input.agent, false, 64);
  if (input.enabled !== undefined && typeof input.enabled !== "boolean") {
    throw invalid("enabled", "must be true or false", input.enabled);
  }
  const schedule: GoalSchedule = {
    name,
    timezone,
    goal,
    missed: choice("missed", input.missed, ["skip", "run-once"] as const, "skip"),
    overlap: choice("overlap", input.overlap, ["skip", "queue"] as const, "skip"),
    enabled: input.enabled ?? true,
    source,
    ...(cron === undefined ? {} : { cron }),
    ...(every === undefined ? {} : { every }),
    ...(agent === undefined ? {} : { agent }),
  };
  if (every !== undefined) parseInterval(every);
  if (cron !== undefined && cronOf(cron, timezone).nextRun(new Date(0)) === null) {
    throw invalid("cron", "never fires (no date matches it)", cron);
  }
  return schedule;
}

/**
 * The first instant strictly after `afterMs` at which the schedule fires, or undefined when
 * it never does again. An interval fires at `anchorMs + k × every` (the schedule's creation
 * time is its anchor), so downtime does not shift it.
 */
export function nextFireAfter(
  schedule: Pick<GoalSchedule, "cron" | "every" | "timezone">,
  afterMs: number,
  anchorMs: number,
): number | undefined {
  if (schedule.every !== undefined) {
    const interval = parseInterval(schedule.every);
    if (afterMs < anchorMs) return anchorMs + interval;
    return anchorMs + (Math.floor((afterMs - anchorMs) / interval) + 1) * interval;
  }
  const next = cronOf(schedule.cron as string, schedule.timezone).nextRun(new Date(afterMs));
  return next === null ? undefined : next.getTime();
}
