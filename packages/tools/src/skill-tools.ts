/** skill_read over the SkillPort: loads one of the agent's skills (its instructions, or a file of its folder). */

import { KernelError } from "@oxios/core";
import { z } from "zod";
import { ToolErrorCode } from "./error-codes.ts";
import { requirePort } from "./require-port.ts";
import { defineTool } from "./tool.ts";

export function skillReadTool() {
  return defineTool({
    name: "skill_read",
    description:
      "Load one of your skills by name (the list is in your instructions): its instructions, and the files " +
      "beside them. Pass `file` to read one of those files.",
    input: z.object({
      name: z.string().min(1).max(64).describe("The skill's name."),
      file: z.string().min(1).max(256).optional().describe("A file of the skill's folder, relative to it."),
    }),
    family: "skill.read",
    async execute(input, context) {
      const skills = requirePort(context.ports.skills, "skills", "skill_read");
      const content = await skills.read(context.agent.agentId, input.name, input.file, { signal: context.signal });
      if (content === undefined) {
        const what = input.file === undefined ? `skill ${input.name}` : `file ${input.file} in skill ${input.name}`;
        throw new KernelError(ToolErrorCode.skillNotFound, `you have no ${what}`, {
          details: { name: input.name, ...(input.file === undefined ? {} : { file: input.file }) },
        });
      }
      return { output: content };
    },
  });
}
