/**
 * The agent loop as an async iterator of text deltas: `for await (const delta of
 * stream.textStream)` sees the text as it streams, and `stream.result` settles with the
 * run's result (or its error). Deltas are buffered, so a slow reader loses nothing.
 */

import type { AgentLoop, AgentRunRequest, AgentRunResult } from "./agent-loop.ts";

export interface AgentStream {
  textStream: AsyncIterable<string>;
  result: Promise<AgentRunResult>;
}

export function streamAgent(loop: AgentLoop, request: AgentRunRequest): AgentStream {
  const buffered: string[] = [];
  let finished = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const result = loop
    .run({
      ...request,
      onTextDelta: (delta) => {
        request.onTextDelta?.(delta);
        buffered.push(delta);
        notify();
      },
    })
    .finally(() => {
      finished = true;
      notify();
    });
  const textStream: AsyncIterable<string> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = buffered.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (finished) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
  return { textStream, result };
}
