/** A small recursive directory walk that yields files as paths relative to a root. */

import { readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * Files under `directory`, relative to it with `/` separators. Directories for which
 * `skipDirectory(relativePath, name)` is true are not entered. A missing directory yields nothing.
 */
export async function walkFiles(
  directory: string,
  skipDirectory: (relativePath: string, name: string) => boolean = () => false,
): Promise<string[]> {
  const files: string[] = [];
  const visit = async (relative: string): Promise<void> => {
    let entries: Array<{ name: string; isFile(): boolean; isDirectory(): boolean }>;
    try {
      entries = await readdir(relative === "" ? directory : join(directory, relative), { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || (code === "ENOTDIR" && relative !== "")) return;
      throw error;
    }
    for (const entry of entries) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!skipDirectory(path, entry.name)) await visit(path);
      } else if (entry.isFile()) {
        files.push(path);
      }
    }
  };
  await visit("");
  return files;
}
