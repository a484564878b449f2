/** Size and count limits shared by the file tools, with their defaults. */

export interface FileToolLimits {
  /** Largest file read, edit or grep will open. Default 10 MiB. */
  maxReadBytes: number;
  /** Largest content write or edit will produce. Default 10 MiB. */
  maxWriteBytes: number;
  /** Most entries ls and find return. Default 1000. */
  maxEntries: number;
  /** Most matches grep returns. Default 200. */
  maxMatches: number;
  /** Most directories/files find and grep visit. Default 20000. */
  maxVisited: number;
}

export const DEFAULT_FILE_LIMITS: FileToolLimits = {
  maxReadBytes: 10 * 1024 * 1024,
  maxWriteBytes: 10 * 1024 * 1024,
  maxEntries: 1000,
  maxMatches: 200,
  maxVisited: 20_000,
};

export function fileLimits(overrides: Partial<FileToolLimits> = {}): FileToolLimits {
  return { ...DEFAULT_FILE_LIMITS, ...overrides };
}

/** Chunk size for reads and writes; the abort signal is checked between chunks. */
export const IO_CHUNK_BYTES = 64 * 1024;
