// Child process for the crash test: saves one key in a tight loop until it is killed,
// announcing on stdout once the first save is durable.
import { StateStore } from "../state-store.ts";

const root = process.argv[2];
if (root === undefined) throw new Error("usage: save-loop <root>");
const store = await StateStore.open({ root });
const pad = "x".repeat(4096);
let counter = 0;
await store.save("sessions", "hot", { counter: 0.25, pad });
process.stdout.write("ready\n");
for (;;) {
  counter += 1;
  // Several writers at once, so kills also land between coalesced writes.
  await Promise.all([
    store.save("sessions", "hot", { counter, pad }),
    store.save("sessions", "hot", { counter: counter + 0.5, pad }),
    store.save("sessions", `other-${counter % 4}`, { counter }),
  ]);
}
