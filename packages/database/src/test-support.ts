/** Helpers shared by this package's tests: a fresh directory per test for real database files. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const directories: string[] = [];

/** A path for a database file that does not exist yet, in a directory removed by `removeTempFiles`. */
export function tempDatabasePath(name = "test.db"): string {
  const directory = mkdtempSync(join(tmpdir(), "oxios-database-"));
  directories.push(directory);
  return join(directory, name);
}

export function removeTempFiles(): void {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
}
