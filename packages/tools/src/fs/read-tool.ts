/** The read tool: a text file, refused by size before it is opened. */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import { readTextFile } from "./file-io.ts";
import { type FileToolLimits, fileLimits } from "./file-limits.ts";

export function readTool(limits: Partial<FileToolLimits> = {}) {
  const { maxReadBytes } = fileLimits(limits);
  return defineTool({
    name: "read",
    description: `Read a UTF-8 text file (at most ${maxReadBytes} bytes). Paths are relative to your workspace.`,
    input: z.object({ path: z.string().min(1).describe("File to read.") }),
    family: "fs.read",
    idempotent: true,
    access: (input) => ({ paths: [{ path: input.path, access: "read" }] }),
    async execute(input, context) {
      const real = await context.paths.resolve(input.path, "read");
      const content = await readTextFile(real, maxReadBytes, context.signal, context.paths);
      return { output: { path: context.paths.display(real), content, bytes: Buffer.byteLength(content) } };
    },
  });
}
