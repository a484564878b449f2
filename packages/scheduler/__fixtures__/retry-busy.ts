import { KernelError } from "@oxios/core";
import { DatabaseErrorCode } from "@oxios/database";

/** As a cluster node does at its next poll: a write that lost the lock (nothing written) is tried again. */
export function retryBusy<T>(work: () => T): T {
  for (;;) {
    try {
      return work();
    } catch (error) {
      if (!KernelError.hasCode(error, DatabaseErrorCode.busy)) throw error;
    }
  }
}
