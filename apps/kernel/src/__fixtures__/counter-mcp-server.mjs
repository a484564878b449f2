// A stdio MCP server for the durable-runs tests, in plain Node (newline-delimited JSON-RPC):
// `probe` (read-only, so the kernel treats it as idempotent) and `bump` (neither). Every
// execution appends "<tool> <token>" to the file in COUNTER_LOG, so a test counts how often a
// call really ran across kernel restarts. A token starting with HOLD makes the call hang —
// the first time only (the log remembers "holding <tool> <token>") — until the kernel dies
// and closes this server's stdin.
import { appendFileSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const log = process.env.COUNTER_LOG;
if (!log) throw new Error("COUNTER_LOG is not set");

const tools = [
  {
    name: "probe",
    description: "Reads the counter for a token.",
    inputSchema: { type: "object", properties: { token: { type: "string" } }, required: ["token"] },
    annotations: { readOnlyHint: true },
  },
  {
    name: "bump",
    description: "Adds one to the counter of a token.",
    inputSchema: { type: "object", properties: { token: { type: "string" } }, required: ["token"] },
  },
];

function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function heldBefore(line) {
  try {
    return readFileSync(log, "utf8").split("\n").includes(line);
  } catch {
    return false;
  }
}

function call(id, name, token) {
  appendFileSync(log, `${name} ${token}\n`);
  const holding = `holding ${name} ${token}`;
  if (token.startsWith("HOLD") && !heldBefore(holding)) {
    appendFileSync(log, `${holding}\n`);
    return; // never answered: the kernel dies while this call is in flight
  }
  send({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text: `${name} ${token} ok` }] } });
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (line.trim() === "") return;
  const message = JSON.parse(line);
  if (message.id === undefined) return; // notifications
  switch (message.method) {
    case "initialize":
      send({
        jsonrpc: "2.0",
        id: message.id,
        result: {
          protocolVersion: message.params.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: "counter", version: "1.0.0" },
        },
      });
      return;
    case "ping":
      send({ jsonrpc: "2.0", id: message.id, result: {} });
      return;
    case "tools/list":
      send({ jsonrpc: "2.0", id: message.id, result: { tools } });
      return;
    case "tools/call":
      call(message.id, message.params.name, String(message.params.arguments?.token ?? ""));
      return;
    default:
      send({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: `no method ${message.method}` } });
  }
});
// The kernel closed our stdin (it stopped or died): so do we.
lines.on("close", () => process.exit(0));
