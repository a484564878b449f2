/**
 * Reads a libsql URL as the place a database lives: a local file (embedded) or a server
 * (sqld). Every store opens its database through this one reading, so one URL always means
 * one file. The model is libsql-client-ts `expandConfig`.
 */

import { KernelError } from "@oxios/core";
import { DatabaseErrorCode } from "./error-codes.ts";

export type DatabaseLocation =
  /** `path` is a filesystem path or `:memory:`. */
  | { kind: "file"; path: string }
  /** A server URL; `scheme` without the colon (`http`, `libsql`, …). */
  | { kind: "remote"; scheme: string; url: string };

const REMOTE_SCHEMES = new Set(["http", "https", "libsql", "ws", "wss"]);

/**
 * `:memory:` as is, a plain path as is, a `file:` URL as its percent-decoded path (`file:///a/b.db`
 * and `file:a/b.db` alike), an `http(s)://`, `libsql://` or `ws(s)://` URL as remote.
 *
 * Throws: `DATABASE_URL_INVALID` for an empty string or any other scheme.
 */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (typeof url !== "string" || url.trim().length === 0) {
    throw new KernelError(DatabaseErrorCode.urlInvalid, "a database URL must be a file: URL, a path or :memory:");
  }
  if (url === ":memory:") return { kind: "file", path: url };
  if (url.startsWith("file://")) return { kind: "file", path: decodeURIComponent(new URL(url).pathname) };
  if (url.startsWith("file:")) return { kind: "file", path: decodeURIComponent(url.slice("file:".length)) };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: "file", path: url };
  if (REMOTE_SCHEMES.has(scheme)) return { kind: "remote", scheme, url };
  throw new KernelError(DatabaseErrorCode.urlInvalid, `${scheme}: is not a database URL scheme`, {
    details: { scheme },
  });
}
