// Hostile request bodies against a real kernel process (#15): for each 10 MB body, the
// longest /health answer seen while the body is sent and refused (a client polls /health
// back to back meanwhile), against what `JSON.parse` of the same body costs in one
// synchronous step — what the kernel did before the body guard, before validation even
// started. Goal: the kernel's event loop is never blocked more than ~50 ms per MiB, i.e.
// the /health stall stays ≤ 500 ms for 10 MiB. Medians of 5 rounds.
//
// Part of bench/run.ts; alone (prints one line per body): node --conditions=@oxios/source --import tsx bench/hostile-input.ts
import { fileURLToPath } from "node:url";
import { type BenchCase, median } from "@oxios/tooling/bench";
import { type KernelProcess, startKernel, tempHome } from "../src/__fixtures__/kernel-process.ts";

const MiB = 1024 * 1024;
const ROUNDS = 5;

const bytes = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text);

function bodies(): Record<string, { body: Uint8Array<ArrayBuffer>; path: string }> {
  const members: string[] = [];
  let length = 2;
  for (let index = 0; length < 10 * MiB - 32; index++) {
    const member = `"k${index}":1`;
    members.push(member);
    length += member.length + 1;
  }
  return {
    "10 MB nested arrays": { path: "/api/runs", body: bytes(`${"[".repeat(5 * MiB)}${"]".repeat(5 * MiB)}`) },
    "10 MB wide array": { path: "/api/runs", body: bytes(`[${"1,".repeat(5 * MiB - 16)}1]`) },
    "10 MB wide object": { path: "/api/runs", body: bytes(`{${members.join(",")}}`) },
    // Accepted by the guard and parsed (then refused by memory search's query limit).
    "10 MB string (parsed)": {
      path: "/api/memory/search",
      body: bytes(JSON.stringify({ query: "word ".repeat(2 * MiB - 8) })),
    },
    "10 MB of \\u escapes (parsed)": {
      path: "/api/memory/search",
      body: bytes(`{"query":"${"\\u00e9".repeat(Math.floor((10 * MiB - 16) / 6))}"}`),
    },
  };
}

/**
 * GET /health. A pooled connection the server closed as idle (keep-alive timeout) between
 * rounds fails with "other side closed"; that is the client's race, so it is retried on a
 * new connection (the time of both attempts counts).
 */
async function health(kernel: KernelProcess): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await (await fetch(`${kernel.url}/health`)).arrayBuffer();
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/** Sends `body` while polling /health back to back; the longest /health answer and the reply. */
async function stallDuring(kernel: KernelProcess, path: string, body: Uint8Array<ArrayBuffer>) {
  let sending = true;
  const latencies: number[] = [];
  // Settles with the poller's error instead of rejecting, so a failed /health is reported
  // after the POST (and the kernel is still stopped by the caller's finally).
  const poller = (async (): Promise<unknown> => {
    try {
      while (sending) {
        const started = performance.now();
        await health(kernel);
        latencies.push(performance.now() - started);
      }
      return undefined;
    } catch (error) {
      return error;
    }
  })();
  let response: Response;
  let reply: { error?: { code: string } };
  try {
    response = await fetch(`${kernel.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${kernel.token}`, "content-type": "application/json" },
      body,
    });
    reply = (await response.json()) as { error?: { code: string } };
  } finally {
    sending = false;
  }
  const failure = await poller;
  if (failure !== undefined) throw failure;
  return { status: response.status, code: reply.error?.code ?? "", stallMs: Math.max(...latencies) };
}

/** How long `JSON.parse` takes on `body`, and whether it parsed (deep nesting may exceed its own limits). */
function parse(body: Uint8Array<ArrayBuffer>): { ms: number; outcome: string } {
  const text = new TextDecoder().decode(body);
  const started = performance.now();
  let outcome = "parsed";
  try {
    JSON.parse(text);
  } catch (error) {
    outcome = `${(error as Error).name} after`;
  }
  return { ms: performance.now() - started, outcome };
}

export async function benchHostileInput(): Promise<BenchCase[]> {
  const kernel = await startKernel(tempHome(), { OXIOS_HTTP_RATE_PER_MIN: "1000000" });
  const cases: BenchCase[] = [];
  try {
    const idle: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      await health(kernel);
      idle.push(performance.now() - started);
    }
    for (const [name, { path, body }] of Object.entries(bodies())) {
      const stalls: number[] = [];
      const parses: number[] = [];
      let parsed = "";
      let outcome = "";
      for (let round = 0; round < ROUNDS; round++) {
        const result = await stallDuring(kernel, path, body);
        stalls.push(result.stallMs);
        outcome = `${result.status} ${result.code}`;
        const baseline = parse(body);
        parses.push(baseline.ms);
        parsed = baseline.outcome;
      }
      const mib = body.length / MiB;
      const stall = median(stalls);
      console.log(
        `${name}: ${outcome}; /health stall ${stall.toFixed(1)} ms (${(stall / mib).toFixed(1)} ms/MiB); JSON.parse ${parsed} ${median(parses).toFixed(0)} ms`,
      );
      cases.push({
        name: `${name}: longest /health answer while refused (${outcome})`,
        ours: stall,
        baseline: median(parses),
        baselineName: "JSON.parse of the body alone (the unguarded path)",
        unit: "ms",
        better: "lower",
        notes: `${(stall / mib).toFixed(1)} ms per MiB (goal ≤ 50); idle /health ${median(idle).toFixed(1)} ms`,
      });
    }
  } finally {
    kernel.child.kill("SIGTERM");
    await kernel.exited;
  }
  return cases;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await benchHostileInput();
  process.exit(0);
}
