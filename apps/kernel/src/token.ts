/**
 * The API token: `OXIOS_API_TOKEN` when set, else the token generated on first start and
 * stored with mode 0600 in `$OXIOS_HOME/api-token`. The LLM provider key is never a token.
 */

import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KernelError } from "@oxios/core";

export const TOKEN_FILE = "api-token";

export function tokenPath(home: string): string {
  return join(home, TOKEN_FILE);
}

/** Reads the stored token, creating it (exclusively, mode 0600) when there is none. */
export function ensureApiToken(home: string, override: string | undefined, llmApiKey: string | undefined): string {
  if (override !== undefined) return override;
  const path = tokenPath(home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  try {
    const stored = readFileSync(path, "utf8").trim();
    if (stored.length >= 16 && stored !== llmApiKey) {
      if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
      return stored;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new KernelError("TOKEN_UNREADABLE", `cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
  }
  const token = `oxt_${randomBytes(32).toString("base64url")}`;
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}

/** The token a client should use: `OXIOS_API_TOKEN`, else the stored one (if any). */
export function readApiToken(home: string, override: string | undefined): string | undefined {
  if (override !== undefined) return override;
  try {
    return readFileSync(tokenPath(home), "utf8").trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new KernelError("TOKEN_UNREADABLE", `cannot read ${tokenPath(home)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Constant-time check of a presented token; the LLM key is refused even if it matched. */
export function tokenMatches(presented: string, expected: string, llmApiKey: string | undefined): boolean {
  if (llmApiKey !== undefined && presented === llmApiKey) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
