// Starts a sandbox running `sleep $HOLD_MARKER` with a `setsid` sibling, prints "running", and
// waits — so a test can SIGKILL this process (the sandbox's parent) and watch the sandbox die.
// The marker comes through the environment so that this process's own arguments lack it.
import { BubblewrapSandbox } from "../sandbox/bubblewrap-sandbox.ts";
import { DEFAULT_RESOURCE_LIMITS } from "../sandbox/sandbox.ts";

const workspace = process.argv[2] ?? ".";
const marker = process.env.HOLD_MARKER ?? "1000";
const sandbox = new BubblewrapSandbox({ maxSpares: 1 });
const prepared = await sandbox.prepare(
  { workspace, network: false, env: {}, limits: DEFAULT_RESOURCE_LIMITS },
  new AbortController().signal,
);
const child = prepared.run({ file: "sh", args: ["-c", `setsid sleep ${marker} & exec sleep ${marker}`], cpuSeconds: 100 });
process.stdout.write("running\n");
await child.closed;
