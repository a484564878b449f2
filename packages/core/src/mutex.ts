/** A ranked, FIFO-fair async mutex: a `Semaphore` with one permit. */

import { Semaphore } from "./semaphore.ts";

export interface MutexOptions {
  name: string;
  rank: number;
  label?: string;
}

export class Mutex extends Semaphore {
  constructor(options: MutexOptions) {
    super({ ...options, permits: 1 });
  }

  /** True while someone holds the mutex. */
  get locked(): boolean {
    return this.available === 0;
  }
}
