/**
 * The API token: `OXIOS_API_TOKEN` when set, else the token generated on first start and
 * stored with mode 0600 in `$OXIOS_HOME/api-token`. The LLM provider key is never a token.
 * The token is written nowhere else: the kernel shows it once, on a terminal, when it
 * creates it (`tokenNotice`), and never logs it.
 */

import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KernelError } from "@oxios/core";
import { KernelErrorCode } from "./error-codes.ts";

export const TOKEN_FILE = "api-token";

export function tokenPath(home: string): string {
  return join(home, TOKEN_FILE);
}

/** The token in force and where it came from. */
export interface ProvidedToken {
  token: string;
  /** `environment`: OXIOS_API_TOKEN or `api_token`; `file`: the stored one; `created`: generated just now. */
  source: "environment" | "file" | "created";
  path: string;
}

/**
 * The token in force: the configured one, else the stored one, else a new one created (mode
 * 0600) now — saying which, so the caller knows whether it may show it.
 */
export function provideApiToken(
  home: string,
  override: string | undefined,
  llmApiKey: string | undefined,
): ProvidedToken {
  const path = tokenPath(home);
  if (override !== undefined) return { token: override, source: "environment", path };
  mkdirSync(home, { recursive: true, mode: 0o700 });
  try {
    const stored = readFileSync(path, "utf8").trim();
    if (stored.length >= 16 && stored !== llmApiKey) {
      if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
      return { token: stored, source: "file", path };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new KernelError(KernelErrorCode.tokenUnreadable, `cannot read ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  const token = `oxt_${randomBytes(32).toString("base64url")}`;
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { token, source: "created", path };
}

/**
 * The lines the kernel prints about its token at start. The token itself appears only when
 * it was created just now and the lines reach a terminal (not a log file); otherwise they say
 * where it is. `curlHeader` is the Authorization header the printed examples use.
 */
export function tokenNotice(provided: ProvidedToken, terminal: boolean): { lines: string[]; curlHeader: string } {
  if (provided.source === "environment") {
    return { lines: ["  token: from OXIOS_API_TOKEN"], curlHeader: "Authorization: Bearer $OXIOS_API_TOKEN" };
  }
  const curlHeader = `Authorization: Bearer $(cat ${provided.path})`;
  if (provided.source === "file") return { lines: [`  token: in ${provided.path}`], curlHeader };
  const lines = terminal
    ? [
        `  token: ${provided.token}`,
        `         (new; shown this once, kept in ${provided.path} with mode 0600 and never logged)`,
      ]
    : [`  token: created in ${provided.path} (mode 0600; not printed, this output is not a terminal)`];
  return { lines, curlHeader };
}

/** The token a client should use: `OXIOS_API_TOKEN`, else the stored one (if any). */
export function readApiToken(home: string, override: string | undefined): string | undefined {
  if (override !== undefined) return override;
  try {
    return readFileSync(tokenPath(home), "utf8").trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new KernelError(
      KernelErrorCode.tokenUnreadable,
      `cannot read ${tokenPath(home)}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * The constant-time check of a presented token against `expected` (its bytes made once); the
 * LLM key is refused even if it matched.
 */
export function tokenChecker(expected: string, llmApiKey: string | undefined): (presented: string) => boolean {
  const want = Buffer.from(expected);
  return (presented) => {
    if (llmApiKey !== undefined && presented === llmApiKey) return false;
    const got = Buffer.from(presented);
    return got.length === want.length && timingSafeEqual(got, want);
  };
}
