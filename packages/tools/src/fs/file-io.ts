/**
 * Abortable file I/O for the file tools. Every open is checked after the fact (see
 * `verified-open.ts`), so a symlink swapped after the gate's check is never read or written
 * through. Reads refuse by size from the opened descriptor before reading a byte (a 2 GiB
 * file is never read), read and write go chunk by chunk checking the signal, and writes are
 * atomic (a new temp file in the checked directory, then rename) so an aborted write leaves
 * the old content, never a torn file.
 */

import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { KernelError, throwIfAborted } from "@oxios/core";
import { ToolErrorCode } from "../error-codes.ts";
import { fsError } from "../errors.ts";
import type { CallPaths } from "../tool.ts";
import { IO_CHUNK_BYTES } from "./file-limits.ts";
import { inheritedOwner, openParentForWrite, openVerified, pathIn } from "./verified-open.ts";

/** Reads a regular file as UTF-8, refusing it by size before reading. */
export async function readTextFile(
  path: string,
  maxBytes: number,
  signal: AbortSignal,
  paths: CallPaths,
): Promise<string> {
  throwIfAborted(signal);
  const { handle, stats } = await openVerified(path, "file", paths);
  try {
    refuseSize(path, stats.size, maxBytes);
    const buffer = Buffer.alloc(stats.size);
    let offset = 0;
    while (offset < stats.size) {
      throwIfAborted(signal);
      const { bytesRead } = await handle.read(buffer, offset, Math.min(IO_CHUNK_BYTES, stats.size - offset), offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    throwIfAborted(signal);
    return buffer.subarray(0, offset).toString("utf8");
  } catch (error) {
    throw fsError(error, path);
  } finally {
    await handle.close();
  }
}

function refuseSize(path: string, size: number, maxBytes: number): void {
  if (size > maxBytes) {
    throw new KernelError(ToolErrorCode.fileTooLarge, `${path} is ${size} bytes, over the ${maxBytes}-byte limit`, {
      details: { path, size, maxBytes },
    });
  }
}

/**
 * Replaces `path` with `content` atomically; an abort or failure leaves the old file intact.
 * Returns the bytes written and the real path written.
 */
export async function writeFileAtomic(
  path: string,
  content: string,
  options: { maxBytes: number; signal: AbortSignal; createDirs: boolean; paths: CallPaths },
): Promise<{ bytes: number; realPath: string }> {
  const data = Buffer.from(content, "utf8");
  if (data.length > options.maxBytes) {
    throw new KernelError(
      ToolErrorCode.fileTooLarge,
      `content is ${data.length} bytes, over the ${options.maxBytes}-byte write limit`,
      { details: { path, size: data.length, maxBytes: options.maxBytes } },
    );
  }
  throwIfAborted(options.signal);
  const { directory, name, target } = await openParentForWrite(path, options.paths, options.createDirs);
  const temp = pathIn(directory, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
  let handle: FileHandle | undefined;
  let renamed = false;
  try {
    handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    const owner = inheritedOwner(directory.stats);
    if (owner !== undefined) await handle.chown(owner.uid, owner.gid);
    let offset = 0;
    while (offset < data.length) {
      throwIfAborted(options.signal);
      const { bytesWritten } = await handle.write(data, offset, Math.min(IO_CHUNK_BYTES, data.length - offset));
      offset += bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    throwIfAborted(options.signal);
    await rename(temp, pathIn(directory, name));
    renamed = true;
    return { bytes: data.length, realPath: target };
  } catch (error) {
    throw fsError(error, path);
  } finally {
    await handle?.close();
    if (!renamed) await rm(temp, { force: true });
    await directory.handle.close();
  }
}
