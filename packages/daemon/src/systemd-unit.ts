/**
 * Renders a systemd user unit that runs the daemon in the foreground under systemd's
 * supervision: restarted on failure, stopped with SIGTERM (which runs the ordered shutdown),
 * and given `TimeoutStopSec` to finish before systemd escalates to SIGKILL. Pure: it returns
 * text and touches nothing; install it as `~/.config/systemd/user/oxios.service`.
 *
 * Values are escaped for systemd's parser: `%` (specifiers) and `$` (variable expansion)
 * are doubled, words with spaces, quotes or backslashes are double-quoted with C escapes.
 * Newlines and NUL cannot be expressed and are refused.
 */

import { KernelError } from "@oxios/core";
import { DaemonErrorCode } from "./error-codes.ts";

export interface SystemdUnitOptions {
  /** The command and its arguments; the first must be an absolute path. */
  readonly execStart: readonly string[];
  /** The Oxios home, passed as OXIOS_HOME. */
  readonly home: string;
  /** Further environment variables for the service. */
  readonly environment?: Readonly<Record<string, string>>;
  readonly description?: string;
  /** Seconds systemd waits after SIGTERM before SIGKILL; default 30. Cover every shutdown hook's timeout. */
  readonly timeoutStopSec?: number;
  /** Seconds between a failure and the restart; default 2. */
  readonly restartSec?: number;
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
const ENVIRONMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function invalid(message: string, details: Record<string, unknown>): KernelError {
  return new KernelError(DaemonErrorCode.unitInvalid, message, { details });
}

function checkText(value: string, field: string): void {
  if (/[\n\r\0]/.test(value)) throw invalid(`${field} cannot contain a newline or NUL`, { field });
}

/** Doubles `%` so systemd does not read it as a specifier. */
function escapeSpecifiers(value: string): string {
  return value.replace(/%/g, "%%");
}

function quoted(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** One ExecStart word: `$` doubled (no variable expansion), quoted when it is not a plain word. */
export function escapeExecWord(word: string): string {
  checkText(word, "execStart");
  const escaped = escapeSpecifiers(word).replace(/\$/g, "$$$$");
  if (word === ";") return "\\;";
  return SAFE_WORD.test(word) ? escaped : quoted(escaped);
}

function positiveSeconds(value: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0) throw invalid(`${field} must be a positive number of seconds`, { field });
  return value;
}

export function renderSystemdUnit(options: SystemdUnitOptions): string {
  const [program] = options.execStart;
  if (program === undefined || !program.startsWith("/")) {
    throw invalid("execStart must start with an absolute path to the program", { execStart: options.execStart });
  }
  checkText(options.home, "home");
  if (options.home === "") throw invalid("home must not be empty", { field: "home" });
  const description = options.description ?? "Oxios agent OS kernel";
  checkText(description, "description");
  const timeoutStopSec = positiveSeconds(options.timeoutStopSec ?? 30, "timeoutStopSec");
  const restartSec = positiveSeconds(options.restartSec ?? 2, "restartSec");

  const environment: Array<[string, string]> = [["OXIOS_HOME", options.home]];
  for (const [name, value] of Object.entries(options.environment ?? {})) {
    if (!ENVIRONMENT_NAME.test(name)) throw invalid(`"${name}" is not a valid environment variable name`, { name });
    if (name === "OXIOS_HOME") throw invalid("set OXIOS_HOME through home, not environment", { name });
    checkText(value, `environment.${name}`);
    environment.push([name, value]);
  }

  return [
    "[Unit]",
    `Description=${escapeSpecifiers(description)}`,
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${options.execStart.map(escapeExecWord).join(" ")}`,
    ...environment.map(([name, value]) => `Environment=${quoted(escapeSpecifiers(`${name}=${value}`))}`),
    "Restart=on-failure",
    `RestartSec=${restartSec}`,
    // SIGTERM to the main process runs the ordered shutdown; after TimeoutStopSec the whole
    // control group (agents' exec children included) gets SIGKILL.
    "KillMode=mixed",
    "KillSignal=SIGTERM",
    `TimeoutStopSec=${timeoutStopSec}`,
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}
