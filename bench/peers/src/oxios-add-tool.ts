/**
 * The workload's `add` tool as an Oxios tool. Family `mcp`: a tool from outside the kernel's
 * own modules, granted by the default template the way an MCP server's tools are.
 */
import { defineTool } from "@oxios/tools";
import { z } from "zod";
import { ADD_DESCRIPTION, add } from "./workload.ts";

export function addTool() {
  return defineTool({
    name: "add",
    description: ADD_DESCRIPTION,
    input: z.object({ a: z.number(), b: z.number() }),
    family: "mcp",
    idempotent: true,
    execute: async ({ a, b }) => ({ output: add(a, b) }),
  });
}
