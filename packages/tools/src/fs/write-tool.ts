/** The write tool: replaces a file atomically, creating parent directories. */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import { writeFileAtomic } from "./file-io.ts";
import { type FileToolLimits, fileLimits } from "./file-limits.ts";

export function writeTool(limits: Partial<FileToolLimits> = {}) {
  const { maxWriteBytes } = fileLimits(limits);
  return defineTool({
    name: "write",
    description: `Create or replace a text file (at most ${maxWriteBytes} bytes). Parent directories are created.`,
    input: z.object({
      path: z.string().min(1).describe("File to write."),
      content: z.string().describe("The whole new content."),
    }),
    family: "fs.write",
    idempotent: true,
    access: (input) => ({ paths: [{ path: input.path, access: "write" }] }),
    async execute(input, context) {
      const real = await context.paths.resolve(input.path, "write");
      const written = await writeFileAtomic(real, input.content, {
        maxBytes: maxWriteBytes,
        signal: context.signal,
        createDirs: true,
        paths: context.paths,
      });
      return { output: { path: context.paths.display(written.realPath), bytes: written.bytes } };
    },
  });
}
