/**
 * Abortable file I/O for the file tools: reads refuse by size before opening (a 2 GiB file
 * is never read), read and write go chunk by chunk checking the signal, and writes are atomic
 * (unique temp file in the same directory, then rename) so an aborted write leaves the old
 * content, never a torn file.
 */

import { randomBytes } from "node:crypto";
import { type FileHandle, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { KernelError, throwIfAborted } from "@oxios/core";
import { ToolErrorCode } from "../error-codes.ts";
import { fsError } from "../errors.ts";
import { IO_CHUNK_BYTES } from "./file-limits.ts";

/** Reads a regular file as UTF-8, refusing it by size first. */
export async function readTextFile(path: string, maxBytes: number, signal: AbortSignal): Promise<string> {
  throwIfAborted(signal);
  let handle: FileHandle | undefined;
  try {
    const before = await stat(path);
    if (!before.isFile()) {
      throw new KernelError(ToolErrorCode.wrongFileType, `${path} is not a regular file`, { details: { path } });
    }
    refuseSize(path, before.size, maxBytes);
    handle = await open(path, "r");
    const size = (await handle.stat()).size;
    refuseSize(path, size, maxBytes);
    const buffer = Buffer.alloc(size);
    let offset = 0;
    while (offset < size) {
      throwIfAborted(signal);
      const { bytesRead } = await handle.read(buffer, offset, Math.min(IO_CHUNK_BYTES, size - offset), offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    throwIfAborted(signal);
    return buffer.subarray(0, offset).toString("utf8");
  } catch (error) {
    throw fsError(error, path);
  } finally {
    await handle?.close();
  }
}

function refuseSize(path: string, size: number, maxBytes: number): void {
  if (size > maxBytes) {
    throw new KernelError(ToolErrorCode.fileTooLarge, `${path} is ${size} bytes, over the ${maxBytes}-byte limit`, {
      details: { path, size, maxBytes },
    });
  }
}

/** Replaces `path` with `content` atomically; an abort or failure leaves the old file intact. */
export async function writeFileAtomic(
  path: string,
  content: string,
  options: { maxBytes: number; signal: AbortSignal; createDirs: boolean },
): Promise<number> {
  const data = Buffer.from(content, "utf8");
  if (data.length > options.maxBytes) {
    throw new KernelError(
      ToolErrorCode.fileTooLarge,
      `content is ${data.length} bytes, over the ${options.maxBytes}-byte write limit`,
      { details: { path, size: data.length, maxBytes: options.maxBytes } },
    );
  }
  throwIfAborted(options.signal);
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let handle: FileHandle | undefined;
  let renamed = false;
  try {
    if (options.createDirs) await mkdir(dirname(path), { recursive: true });
    handle = await open(temp, "wx", 0o644);
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
    await rename(temp, path);
    renamed = true;
    return data.length;
  } catch (error) {
    throw fsError(error, path);
  } finally {
    await handle?.close();
    if (!renamed) await rm(temp, { force: true });
  }
}
