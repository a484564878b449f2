// A /health prober in a process of its own, as a load balancer or an orchestrator probes a
// kernel: `node bench/health-probe.mjs URL` asks `URL/health` every 10 ms (one request at a
// time) until its stdin closes, then prints the latencies (ms) as one JSON array and exits.
// Plain JavaScript on plain `node`, so the prober's own event loop does nothing else.
const [url] = process.argv.slice(2);
const latencies = [];
let errors = 0;
let probing = true;
process.stdin.resume();
process.stdin.on("end", () => {
  probing = false;
});
while (probing) {
  const started = performance.now();
  try {
    await (await fetch(`${url}/health`)).arrayBuffer();
    latencies.push(performance.now() - started);
  } catch (error) {
    errors++;
    process.stderr.write(`  /health probe: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  await new Promise((resolve) => setTimeout(resolve, 10));
}
process.stdout.write(`${JSON.stringify({ latencies, errors })}\n`);
