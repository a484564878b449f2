/**
 * The grep tool: lines matching a regular expression in the text files below a path (or in
 * one file). Files over the read limit and files with NUL bytes (binary) are skipped.
 */

import { stat } from "node:fs/promises";
import { relative } from "node:path";
import { KernelError } from "@oxios/core";
import picomatch from "picomatch";
import { z } from "zod";
import { ToolErrorCode } from "../error-codes.ts";
import { fsError } from "../errors.ts";
import { defineTool } from "../tool.ts";
import { readTextFile } from "./file-io.ts";
import { type FileToolLimits, fileLimits } from "./file-limits.ts";
import { walk } from "./walk.ts";

const MAX_LINE_CHARS = 400;

export interface GrepMatch {
  path: string;
  line: number;
  text: string;
}

function isValidRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch (error) {
    return !(error instanceof SyntaxError);
  }
}

export function grepTool(limits: Partial<FileToolLimits> = {}) {
  const { maxReadBytes, maxMatches, maxVisited } = fileLimits(limits);
  return defineTool({
    name: "grep",
    description:
      `Search text files for lines matching a JavaScript regular expression. Returns at most ${maxMatches} ` +
      "matches as path, line number and line text.",
    input: z.object({
      pattern: z
        .string()
        .min(1)
        .refine(isValidRegex, "not a valid JavaScript regular expression")
        .describe("Regular expression (JavaScript syntax)."),
      path: z.string().min(1).default(".").describe("File or directory to search."),
      glob: z.string().optional().describe("Only files whose path relative to `path` matches this glob."),
      ignoreCase: z.boolean().default(false),
    }),
    family: "fs.read",
    idempotent: true,
    access: (input) => ({ paths: [{ path: input.path, access: "read" }] }),
    async execute(input, context) {
      let regex: RegExp;
      try {
        regex = new RegExp(input.pattern, input.ignoreCase ? "i" : "");
      } catch (error) {
        throw new KernelError(ToolErrorCode.inputInvalid, `invalid regular expression: ${(error as Error).message}`);
      }
      const root = await context.paths.resolve(input.path, "read");
      const include = input.glob === undefined ? undefined : picomatch(input.glob, { dot: true });
      const matches: GrepMatch[] = [];
      let skipped = 0;
      let full = false;
      const searchFile = async (file: string): Promise<void> => {
        let text: string;
        try {
          text = await readTextFile(file, maxReadBytes, context.signal, context.paths);
        } catch (error) {
          // Too large, hard-linked, or swapped for a link out since it was listed: not searched.
          if (
            KernelError.hasCode(error, ToolErrorCode.fileTooLarge) ||
            (KernelError.hasCode(error, ToolErrorCode.pathDenied) && file !== root)
          ) {
            skipped++;
            return;
          }
          throw error;
        }
        if (text.includes("\0")) {
          skipped++;
          return;
        }
        const lines = text.split("\n");
        for (const [index, line] of lines.entries()) {
          if (!regex.test(line)) continue;
          if (matches.length >= maxMatches) {
            full = true;
            return;
          }
          matches.push({ path: context.paths.display(file), line: index + 1, text: line.slice(0, MAX_LINE_CHARS) });
        }
      };
      let rootIsFile: boolean;
      try {
        rootIsFile = (await stat(root)).isFile();
      } catch (error) {
        throw fsError(error, root);
      }
      if (rootIsFile) {
        await searchFile(root);
        return { output: { matches, skippedFiles: skipped }, truncated: full };
      }
      const files: string[] = [];
      const walked = await walk(root, { paths: context.paths, signal: context.signal, maxVisited }, (entry) => {
        if (entry.type === "file" && (include === undefined || include(relative(root, entry.path)))) {
          files.push(entry.path);
        }
        return true;
      });
      for (const file of files) {
        if (full) break;
        await searchFile(file);
      }
      return { output: { matches, skippedFiles: skipped }, truncated: full || walked.truncated };
    },
  });
}
