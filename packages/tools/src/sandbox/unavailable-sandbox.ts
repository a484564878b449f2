/**
 * The sandbox of a platform that has none Oxios can use (neither Linux nor macOS): every
 * `prepare` is refused with `EXEC_SANDBOX_UNAVAILABLE`, so exec fails closed.
 */

import type { PreparedSandbox, Sandbox, SandboxAvailability } from "./sandbox.ts";
import { sandboxUnavailable } from "./sandbox.ts";

export class UnavailableSandbox implements Sandbox {
  readonly kind = "unavailable";
  readonly #reason: string;

  constructor(reason: string) {
    this.#reason = reason;
  }

  async availability(): Promise<SandboxAvailability> {
    return { available: false, reason: this.#reason };
  }

  async prepare(): Promise<PreparedSandbox> {
    throw sandboxUnavailable("OS", this.#reason);
  }

  async close(): Promise<void> {
    // Nothing is prepared ahead, so nothing waits to be ended.
  }
}
