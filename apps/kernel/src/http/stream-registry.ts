/** Open SSE streams, so shutdown ("stop intake") can end them before the server closes. */

export class StreamRegistry {
  readonly #open = new Set<AbortController>();
  #closed = false;

  open(): AbortController {
    const controller = new AbortController();
    if (this.#closed) controller.abort();
    this.#open.add(controller);
    return controller;
  }

  release(controller: AbortController): void {
    this.#open.delete(controller);
  }

  closeAll(): void {
    this.#closed = true;
    for (const controller of this.#open) controller.abort();
  }

  get size(): number {
    return this.#open.size;
  }
}
