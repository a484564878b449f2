/** space_list, space_get and space_activate over the SpacePort. */

import { KernelError } from "@oxios/core";
import { z } from "zod";
import { ToolErrorCode } from "./error-codes.ts";
import { requirePort } from "./require-port.ts";
import { defineTool } from "./tool.ts";

export function spaceListTool() {
  return defineTool({
    name: "space_list",
    description: "List the spaces (projects) this kernel knows.",
    input: z.object({}),
    family: "space.read",
    idempotent: true,
    async execute(_input, context) {
      const space = requirePort(context.ports.space, "space", "space_list");
      return { output: await space.list({ signal: context.signal }) };
    },
  });
}

export function spaceGetTool() {
  return defineTool({
    name: "space_get",
    description: "Get one space by id.",
    input: z.object({ spaceId: z.string().min(1) }),
    family: "space.read",
    idempotent: true,
    async execute(input, context) {
      const space = requirePort(context.ports.space, "space", "space_get");
      const found = await space.get(input.spaceId, { signal: context.signal });
      if (found === undefined) throw new KernelError(ToolErrorCode.spaceNotFound, `no space with id ${input.spaceId}`);
      return { output: found };
    },
  });
}

export function spaceActivateTool() {
  return defineTool({
    name: "space_activate",
    description: "Make a space the active one for a session (default: your own session).",
    input: z.object({ spaceId: z.string().min(1), sessionId: z.string().min(1).optional() }),
    family: "space.write",
    async execute(input, context) {
      const space = requirePort(context.ports.space, "space", "space_activate");
      const sessionId = input.sessionId ?? context.agent.sessionId;
      if (sessionId === undefined) {
        throw new KernelError(ToolErrorCode.sessionMissing, "no sessionId given and the agent has no session");
      }
      return { output: await space.activate(input.spaceId, sessionId, { signal: context.signal }) };
    },
  });
}
