/**
 * The sandbox of the platform the kernel runs on: bubblewrap on Linux, Seatbelt on macOS,
 * and elsewhere one that refuses every call. Never the unsandboxed adapter: that one is only
 * ever chosen explicitly.
 */

import { BubblewrapSandbox, type BubblewrapSandboxOptions } from "./bubblewrap-sandbox.ts";
import type { Sandbox } from "./sandbox.ts";
import { SeatbeltSandbox } from "./seatbelt-sandbox.ts";
import { UnavailableSandbox } from "./unavailable-sandbox.ts";

export function platformSandbox(options: BubblewrapSandboxOptions = {}): Sandbox {
  if (process.platform === "linux") return new BubblewrapSandbox(options);
  if (process.platform === "darwin") {
    return new SeatbeltSandbox({
      ...(options.readOnlyPaths === undefined ? {} : { readOnlyPaths: options.readOnlyPaths }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }
  return new UnavailableSandbox(`no OS sandbox is supported on ${process.platform} (only Linux and macOS)`);
}
