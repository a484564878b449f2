/**
 * The console (`apps/console`, a single-page app) served at `/`: its built files are read once
 * into memory when the API is composed (a few files, well under a megabyte), so a request never
 * touches the disk and only files of the build can be answered — no path from a request reaches
 * the file system.
 *
 * Headers: `index.html` (and any other unhashed file) is `no-cache`, so a new kernel's console is
 * picked up at once; files under `assets/` carry a content hash in their name and are cached
 * for a year as immutable. Every answer carries a strict Content-Security-Policy: scripts,
 * styles and connections only from this origin, no inline script or style, no framing.
 * The console keeps the API token in `sessionStorage` and sends it as a bearer header, so the
 * pages themselves need no auth (they hold no data) and no cookie exists to be forged.
 */

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const IMMUTABLE_CACHE = "public, max-age=31536000, immutable";
export const NO_CACHE = "no-cache";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  cache: string;
}

/**
 * Where the built console is: `dist/console` beside the kernel's bundle (copied there by the
 * kernel's build), or — running from the sources — the same folder of this checkout.
 * Undefined when neither exists (the console was not built).
 */
export function findConsoleDir(): string | undefined {
  const candidates = [new URL("./console/", import.meta.url), new URL("../../dist/console/", import.meta.url)];
  for (const candidate of candidates) {
    const dir = fileURLToPath(candidate);
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  return undefined;
}

function readTree(dir: string, base = dir): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      for (const [key, asset] of readTree(path, base)) assets.set(key, asset);
      continue;
    }
    const urlPath = `/${relative(base, path).split(sep).join("/")}`;
    assets.set(urlPath, {
      body: new Uint8Array(readFileSync(path)),
      type: CONTENT_TYPES[extname(name)] ?? "application/octet-stream",
      cache: urlPath.startsWith("/assets/") ? IMMUTABLE_CACHE : NO_CACHE,
    });
  }
  return assets;
}

/**
 * `GET /` (index.html) and every file of the build at its path. A path that is not a file of
 * the build falls through to the API's JSON 404.
 */
export function consoleRoutes(dir: string): Hono {
  const assets = readTree(dir);
  const app = new Hono();
  const answer = (asset: Asset, method: string) =>
    new Response(method === "HEAD" ? null : asset.body, {
      status: 200,
      headers: {
        "content-type": asset.type,
        "content-length": String(asset.body.byteLength),
        "cache-control": asset.cache,
        "content-security-policy": CONSOLE_CSP,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cross-origin-opener-policy": "same-origin",
      },
    });
  app.on(["GET", "HEAD"], "*", async (c, next) => {
    const path = c.req.path === "/" ? "/index.html" : c.req.path;
    const asset = path.startsWith("/api/") ? undefined : assets.get(path);
    if (asset === undefined) return next();
    return answer(asset, c.req.method);
  });
  return app;
}
