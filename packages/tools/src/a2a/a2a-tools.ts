/**
 * The A2A tools agents call: `a2a_delegate` (hand a task to an agent with a capability and
 * wait for it, streaming its status), `a2a_send` (a message to a named agent or URL), and
 * `a2a_query` (find agents by capability or skill). Family `a2a`; all declare network use.
 */

import { z } from "zod";
import { type AnyTool, defineTool } from "../tool.ts";
import type { A2aAgents } from "./a2a-agents.ts";

export function a2aTools(agents: A2aAgents): AnyTool[] {
  const delegate = defineTool({
    name: "a2a_delegate",
    description:
      "Delegate a task to another agent (local or remote, over A2A) that offers the capability, wait for it to finish and return its result.",
    input: z.object({
      description: z.string().min(1).describe("What the other agent should do"),
      capability: z.string().min(1).describe("A skill id, name or tag the agent must offer"),
      payload: z.unknown().optional().describe("Structured input sent as a data part"),
      priority: z.enum(["low", "normal", "high", "critical"]).default("normal"),
    }),
    family: "a2a",
    access: () => ({ network: true }),
    execute: async (input, context) => {
      const delegation = await agents.delegate(
        {
          description: input.description,
          capability: input.capability,
          priority: input.priority,
          ...(input.payload === undefined ? {} : { payload: input.payload }),
        },
        {
          signal: context.signal,
          onUpdate: (update) => context.logger.debug("delegated task update", { state: update.state }),
        },
      );
      return { output: delegation };
    },
  });

  const send = defineTool({
    name: "a2a_send",
    description:
      "Send a message to another agent by name (or to a remote agent by URL) over A2A; returns its reply or the state of the task it started.",
    input: z.object({
      targetAgent: z.string().min(1).describe("Agent name from a2a_query, or an http(s) URL of a remote agent"),
      type: z.string().min(1).default("request").describe("Kind of message, e.g. request, update, answer"),
      content: z.string().min(1),
      taskId: z.string().min(1).optional().describe("Continue this existing task"),
    }),
    family: "a2a",
    access: () => ({ network: true }),
    execute: async (input, context) => ({
      output: await agents.send(
        input.targetAgent,
        { type: input.type, content: input.content, ...(input.taskId === undefined ? {} : { taskId: input.taskId }) },
        { signal: context.signal },
      ),
    }),
  });

  const query = defineTool({
    name: "a2a_query",
    description: "Find agents you can delegate to, by capability (skill id, name or tag) or skill.",
    input: z.object({
      capability: z.string().min(1).optional(),
      skill: z.string().min(1).optional(),
      limit: z.number().int().min(1).max(100).default(10),
    }),
    family: "a2a",
    access: () => ({ network: true }),
    execute: async (input) => ({
      output: agents.query({
        limit: input.limit,
        ...(input.capability === undefined ? {} : { capability: input.capability }),
        ...(input.skill === undefined ? {} : { skill: input.skill }),
      }),
    }),
  });

  return [delegate, send, query];
}
