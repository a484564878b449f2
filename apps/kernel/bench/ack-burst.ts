// The client side of an acknowledgement burst, one piece of code for every server it is sent to
// (bench/durable.ts against the kernel, bench/ack-floor.ts against the kernel and its floors):
// `size` concurrent `POST /api/runs` with Node's `fetch`, each timed from its start to its
// answer's body read in full.

export interface AckBurst {
  /** Milliseconds from each request's start to its answer's body, in the order they ended. */
  acks: number[];
  /** The `taskId` of each 202 answer. */
  ids: string[];
  /** Answers other than 202. */
  refused: number;
}

export async function ackBurst(
  url: string,
  token: string,
  size: number,
  failed: (error: unknown) => void,
): Promise<AckBurst> {
  const acks: number[] = [];
  const ids: string[] = [];
  let refused = 0;
  await Promise.all(
    Array.from({ length: size }, async (_, index) => {
      const started = performance.now();
      try {
        const response = await fetch(`${url}/api/runs`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ goal: `burst ${index}` }),
        });
        const body = (await response.json()) as { taskId: string };
        acks.push(performance.now() - started);
        if (response.status === 202) ids.push(body.taskId);
        else refused++;
      } catch (error) {
        failed(error);
      }
    }),
  );
  return { acks, ids, refused };
}
