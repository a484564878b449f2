/**
 * Memory's names for the database it works through, and its BLOB helpers. Every statement
 * goes through the `Database` handle of `@oxios/database` (array parameters, cached
 * statements, coded errors); `Sql` is that handle.
 */

import type { Database } from "@oxios/database";

export type { SqlValue } from "@oxios/database";
export type Sql = Database;

/** Turns a typed array into a Buffer view (no copy) so libsql binds it as a BLOB. */
export function blob(bytes: Uint8Array | Float32Array | Float64Array): Uint8Array {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Reads a stored float32 BLOB (libsql returns an ArrayBuffer; other drivers a Uint8Array) as a copy. */
export function floatsFromBlob(value: unknown): Float32Array {
  if (value instanceof ArrayBuffer) return new Float32Array(value.slice(0));
  if (ArrayBuffer.isView(value)) {
    return new Float32Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  }
  throw new Error("stored vector is not a BLOB");
}
