/**
 * Every error code the kernel can meet: the tables of every package it composes, and their
 * declarations (code, kind, description, package). The source of `docs/errors.md` and of the
 * test that checks each code's HTTP status.
 */

import { CoreErrorCode, type DeclaredErrorCode, declaredErrorCodes } from "@oxios/core";
import { DaemonErrorCode } from "@oxios/daemon";
import { DatabaseErrorCode } from "@oxios/database";
import { EventBusErrorCode } from "@oxios/event-bus";
import { MemoryErrorCode } from "@oxios/memory";
import { RuntimeErrorCode } from "@oxios/runtime";
import { SchedulerErrorCode } from "@oxios/scheduler";
import { SpaceErrorCode } from "@oxios/space";
import { StateStoreErrorCode } from "@oxios/state-store";
import { SupervisorErrorCode } from "@oxios/supervisor";
import { ToolErrorCode } from "@oxios/tools";
import { A2aErrorCode } from "@oxios/tools/a2a";
import { BrowserErrorCode } from "@oxios/tools/browser";
import { McpErrorCode } from "@oxios/tools/mcp";
import { KernelErrorCode } from "./error-codes.ts";

/** Every code table, lowest layer first. */
export const ERROR_CODE_TABLES: ReadonlyArray<Readonly<Record<string, string>>> = [
  CoreErrorCode,
  DatabaseErrorCode,
  EventBusErrorCode,
  StateStoreErrorCode,
  MemoryErrorCode,
  SpaceErrorCode,
  SchedulerErrorCode,
  SupervisorErrorCode,
  ToolErrorCode,
  A2aErrorCode,
  McpErrorCode,
  BrowserErrorCode,
  RuntimeErrorCode,
  DaemonErrorCode,
  KernelErrorCode,
];

/**
 * The declarations of every code in `ERROR_CODE_TABLES`, sorted by package then code. A code
 * declared twice appears twice (a test refuses that).
 */
export function errorCatalog(): DeclaredErrorCode[] {
  const codes = new Set(ERROR_CODE_TABLES.flatMap((table) => Object.values(table)));
  return declaredErrorCodes()
    .filter((declared) => codes.has(declared.code))
    .sort((a, b) => a.owner.localeCompare(b.owner) || a.code.localeCompare(b.code));
}
