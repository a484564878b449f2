/**
 * One live connection to `/api/events` (server-sent events) shared by every page. `EventSource`
 * cannot send a bearer header, so the stream is read with `fetch` and parsed by
 * `eventsource-parser`; it reconnects after a drop (1 s, then up to 10 s) until stopped.
 */

import { createParser } from "eventsource-parser";

export interface KernelEvent {
  id: string;
  type: string;
  at: number;
  source: string;
  payload: Record<string, unknown>;
}

export type StreamState = "connecting" | "live" | "down";
type Listener = (event: KernelEvent) => void;

export class EventHub {
  readonly #listeners = new Set<Listener>();
  readonly #stateListeners = new Set<(state: StreamState) => void>();
  readonly #stop = new AbortController();
  #state: StreamState = "connecting";
  #running: Promise<void> | undefined;

  constructor(readonly token: string) {}

  get state(): StreamState {
    return this.#state;
  }

  /** Calls `listener` with every event from now on; returns the unsubscribe. */
  listen(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onState(listener: (state: StreamState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  #setState(state: StreamState): void {
    this.#state = state;
    for (const listener of this.#stateListeners) listener(state);
  }

  async #loop(): Promise<void> {
    let delay = 1000;
    while (!this.#stop.signal.aborted) {
      try {
        await this.#readOnce();
        delay = 1000;
      } catch (error) {
        if (this.#stop.signal.aborted) break;
        console.warn("event stream dropped", error);
      }
      if (this.#stop.signal.aborted) break;
      this.#setState("down");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#stop.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      delay = Math.min(delay * 2, 10_000);
    }
  }

  async #readOnce(): Promise<void> {
    this.#setState("connecting");
    const response = await fetch("/api/events", {
      headers: { authorization: `Bearer ${this.token}`, accept: "text/event-stream" },
      signal: this.#stop.signal,
    });
    if (!response.ok || response.body === null) throw new Error(`event stream answered ${response.status}`);
    this.#setState("live");
    const parser = createParser({
      onEvent: (message) => {
        let event: KernelEvent;
        try {
          event = JSON.parse(message.data) as KernelEvent;
        } catch (error) {
          console.warn("unreadable event", error);
          return;
        }
        for (const listener of this.#listeners) listener(event);
      },
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(value);
    }
  }
}
