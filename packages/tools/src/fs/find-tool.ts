/** The find tool: paths below a directory whose workspace-relative path matches a glob. */

import { relative } from "node:path";
import picomatch from "picomatch";
import { z } from "zod";
import { defineTool } from "../tool.ts";
import { type FileToolLimits, fileLimits } from "./file-limits.ts";
import { type EntryType, walk } from "./walk.ts";

export function findTool(limits: Partial<FileToolLimits> = {}) {
  const { maxEntries, maxVisited } = fileLimits(limits);
  return defineTool({
    name: "find",
    description:
      `Find files and directories below a directory whose path (relative to that directory) matches a glob ` +
      `such as "**/*.ts". Returns at most ${maxEntries} paths; symlinks are listed, not followed.`,
    input: z.object({
      path: z.string().min(1).default(".").describe("Directory to search."),
      pattern: z.string().min(1).default("**").describe("Glob over paths relative to `path`."),
      type: z.enum(["file", "dir", "any"]).default("any"),
    }),
    family: "fs.read",
    idempotent: true,
    access: (input) => ({ paths: [{ path: input.path, access: "read" }] }),
    async execute(input, context) {
      const root = await context.paths.resolve(input.path, "read");
      const matches = picomatch(input.pattern, { dot: true });
      const found: Array<{ path: string; type: EntryType }> = [];
      let full = false;
      const result = await walk(root, { paths: context.paths, signal: context.signal, maxVisited }, (entry) => {
        if (input.type !== "any" && entry.type !== input.type) return true;
        if (!matches(relative(root, entry.path))) return true;
        if (found.length >= maxEntries) {
          full = true;
          return false;
        }
        found.push({ path: context.paths.display(entry.path), type: entry.type });
        return true;
      });
      return { output: { paths: found, refused: result.refused }, truncated: full || result.truncated };
    },
  });
}
