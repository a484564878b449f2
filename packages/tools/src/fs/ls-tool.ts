/**
 * The ls tool: one directory's entries with type and size; links are shown, not followed. The
 * directory is opened and checked first (see `verified-open.ts`) and its entries are looked
 * at through that descriptor.
 */

import { lstat, opendir } from "node:fs/promises";
import { join } from "node:path";
import { throwIfAborted } from "@oxios/core";
import { z } from "zod";
import { fsError } from "../errors.ts";
import { defineTool } from "../tool.ts";
import { type FileToolLimits, fileLimits } from "./file-limits.ts";
import { openVerified, pathIn } from "./verified-open.ts";
import type { EntryType } from "./walk.ts";

export interface LsEntry {
  name: string;
  type: EntryType;
  size: number;
}

export function lsTool(limits: Partial<FileToolLimits> = {}) {
  const { maxEntries } = fileLimits(limits);
  return defineTool({
    name: "ls",
    description: `List a directory (at most ${maxEntries} entries), sorted by name, with type and size.`,
    input: z.object({ path: z.string().min(1).default(".").describe("Directory to list.") }),
    family: "fs.read",
    idempotent: true,
    access: (input) => ({ paths: [{ path: input.path, access: "read" }] }),
    async execute(input, context) {
      const opened = await openVerified(await context.paths.resolve(input.path, "read"), "directory", context.paths);
      const real = opened.realPath;
      const entries: LsEntry[] = [];
      let truncated = false;
      try {
        const dir = await opendir(pathIn(opened, "."));
        for await (const dirent of dir) {
          throwIfAborted(context.signal);
          const path = join(real, dirent.name);
          if (context.paths.refusal(path) !== undefined) continue;
          if (entries.length >= maxEntries) {
            truncated = true;
            break;
          }
          const stats = await lstat(pathIn(opened, dirent.name));
          const type: EntryType = stats.isSymbolicLink()
            ? "symlink"
            : stats.isDirectory()
              ? "dir"
              : stats.isFile()
                ? "file"
                : "other";
          entries.push({ name: dirent.name, type, size: stats.size });
        }
      } catch (error) {
        throw fsError(error, real);
      } finally {
        await opened.handle.close();
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return { output: { path: context.paths.display(real), entries }, truncated };
    },
  });
}
