/** Every tool this package ships, configured in one call. */

import { type ExecToolOptions, execTool } from "./exec/exec-tool.ts";
import { editTool } from "./fs/edit-tool.ts";
import type { FileToolLimits } from "./fs/file-limits.ts";
import { findTool } from "./fs/find-tool.ts";
import { grepTool } from "./fs/grep-tool.ts";
import { lsTool } from "./fs/ls-tool.ts";
import { readTool } from "./fs/read-tool.ts";
import { writeTool } from "./fs/write-tool.ts";
import { auditQueryTool, auditVerifyTool, kernelAgentsTool, schedulerStatsTool } from "./kernel-tools.ts";
import { memoryReadTool, memorySearchTool, memoryWriteTool } from "./memory-tools.ts";
import { scheduleDeleteTool, scheduleListTool, schedulePutTool, scheduleRunTool } from "./schedule-tools.ts";
import { skillReadTool } from "./skill-tools.ts";
import { spaceActivateTool, spaceGetTool, spaceListTool } from "./space-tools.ts";
import type { AnyTool } from "./tool.ts";

export interface BuiltinToolOptions {
  exec?: ExecToolOptions;
  files?: Partial<FileToolLimits>;
}

export function builtinTools(options: BuiltinToolOptions = {}): AnyTool[] {
  return [
    execTool(options.exec),
    readTool(options.files),
    writeTool(options.files),
    editTool(options.files),
    lsTool(options.files),
    grepTool(options.files),
    findTool(options.files),
    memoryWriteTool(),
    memoryReadTool(),
    memorySearchTool(),
    spaceListTool(),
    spaceGetTool(),
    spaceActivateTool(),
    kernelAgentsTool(),
    schedulerStatsTool(),
    auditVerifyTool(),
    auditQueryTool(),
    skillReadTool(),
    scheduleListTool(),
    schedulePutTool(),
    scheduleDeleteTool(),
    scheduleRunTool(),
  ];
}
