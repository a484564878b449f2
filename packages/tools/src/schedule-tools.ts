/**
 * The operator-tier schedule tools over the SchedulePort: schedule_list (`schedule.read`),
 * schedule_put, schedule_delete and schedule_run (`schedule.write`). The operator and
 * supervisor templates grant both families.
 */

import { z } from "zod";
import { requirePort } from "./require-port.ts";
import { defineTool } from "./tool.ts";

export function scheduleListTool() {
  return defineTool({
    name: "schedule_list",
    description: "List the scheduled goals: when each fires next, what it runs and as which agent profile.",
    input: z.object({}),
    family: "schedule.read",
    async execute(_input, context) {
      const schedules = requirePort(context.ports.schedules, "schedules", "schedule_list");
      return { output: await schedules.list({ signal: context.signal }) };
    },
  });
}

export function schedulePutTool() {
  return defineTool({
    name: "schedule_put",
    description:
      "Create or replace a scheduled goal. Give exactly one of `cron` (five fields: minute hour day-of-month " +
      'month day-of-week, read in `timezone`) or `every` (such as "15m", "1h", "1d").',
    input: z.object({
      name: z.string().min(1).max(64).describe("a-z, 0-9, '_' and '-'"),
      cron: z.string().min(1).max(256).optional(),
      every: z.string().min(1).max(64).optional(),
      timezone: z.string().min(1).max(64).optional().describe("IANA time zone, default UTC"),
      goal: z.string().min(1).max(100_000),
      agent: z.string().min(1).max(64).optional().describe("Agent profile to run the goal as (your own only)"),
      missed: z.enum(["skip", "run-once"]).optional(),
      overlap: z.enum(["skip", "queue"]).optional(),
      enabled: z.boolean().optional(),
    }),
    family: "schedule.write",
    async execute(input, context) {
      const schedules = requirePort(context.ports.schedules, "schedules", "schedule_put");
      return { output: await schedules.put(input, context.agent, { signal: context.signal }) };
    },
  });
}

export function scheduleDeleteTool() {
  return defineTool({
    name: "schedule_delete",
    description: "Delete a scheduled goal (one defined in config.toml cannot be deleted).",
    input: z.object({ name: z.string().min(1).max(64) }),
    family: "schedule.write",
    async execute(input, context) {
      const schedules = requirePort(context.ports.schedules, "schedules", "schedule_delete");
      await schedules.remove(input.name, context.agent, { signal: context.signal });
      return { output: { name: input.name, deleted: true } };
    },
  });
}

export function scheduleRunTool() {
  return defineTool({
    name: "schedule_run",
    description: "Run a scheduled goal now (it still never overlaps its own running run).",
    input: z.object({ name: z.string().min(1).max(64) }),
    family: "schedule.write",
    async execute(input, context) {
      const schedules = requirePort(context.ports.schedules, "schedules", "schedule_run");
      return { output: await schedules.run(input.name, context.agent, { signal: context.signal }) };
    },
  });
}
