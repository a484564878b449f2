/**
 * The edit tool: exact-match replace. The old text must occur exactly once — zero is
 * `TOOL_EDIT_NO_MATCH`, more is `TOOL_EDIT_AMBIGUOUS` — so an edit never lands somewhere the
 * caller did not mean. The file is rewritten atomically.
 */

import { KernelError } from "@oxios/core";
import { z } from "zod";
import { ToolErrorCode } from "../error-codes.ts";
import { defineTool } from "../tool.ts";
import { readTextFile, writeFileAtomic } from "./file-io.ts";
import { type FileToolLimits, fileLimits } from "./file-limits.ts";

function countOccurrences(text: string, search: string): number {
  let count = 0;
  for (let index = text.indexOf(search); index !== -1; index = text.indexOf(search, index + search.length)) count++;
  return count;
}

export function editTool(limits: Partial<FileToolLimits> = {}) {
  const { maxReadBytes, maxWriteBytes } = fileLimits(limits);
  return defineTool({
    name: "edit",
    description:
      "Replace one exact occurrence of oldText with newText in a text file. Fails when oldText occurs zero times " +
      "or more than once; include more surrounding text to make it unique.",
    input: z.object({
      path: z.string().min(1).describe("File to edit."),
      oldText: z.string().min(1).describe("Exact text to replace; must occur exactly once."),
      newText: z.string().describe("Replacement text."),
    }),
    family: "fs.write",
    access: (input) => ({
      paths: [
        { path: input.path, access: "read" },
        { path: input.path, access: "write" },
      ],
    }),
    async execute(input, context) {
      const real = await context.paths.resolve(input.path, "write");
      const text = await readTextFile(real, maxReadBytes, context.signal, context.paths);
      const count = countOccurrences(text, input.oldText);
      if (count === 0) {
        throw new KernelError(ToolErrorCode.editNoMatch, `oldText does not occur in ${context.paths.display(real)}`);
      }
      if (count > 1) {
        throw new KernelError(
          ToolErrorCode.editAmbiguous,
          `oldText occurs ${count} times in ${context.paths.display(real)}; make it unique`,
          { details: { occurrences: count } },
        );
      }
      const index = text.indexOf(input.oldText);
      const updated = text.slice(0, index) + input.newText + text.slice(index + input.oldText.length);
      const written = await writeFileAtomic(real, updated, {
        maxBytes: maxWriteBytes,
        signal: context.signal,
        createDirs: false,
        paths: context.paths,
      });
      return { output: { path: context.paths.display(written.realPath), bytes: written.bytes } };
    },
  });
}
