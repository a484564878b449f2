/**
 * The local database a libsql URL names. Every embedded store (memory, audit, task queue)
 * reads its URL through this one function, so one URL always means one file.
 */

/**
 * `:memory:` as is, a plain path as is, a `file:` URL as its percent-decoded path; `undefined`
 * for a remote URL (`http:`, `libsql:` …), which the caller refuses with its own error code.
 */
export function localDatabasePath(url: string): string | undefined {
  if (url === ":memory:") return url;
  if (url.startsWith("file://")) return decodeURIComponent(new URL(url).pathname);
  if (url.startsWith("file:")) return decodeURIComponent(url.slice("file:".length));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return undefined;
  return url;
}
