// Runs an MCP stdio server as a child and appends every line the client sends to the file
// named by MCP_TEE_LOG, so tests can see what reached the server (e.g. notifications/cancelled).
// With MCP_TEE_PID_FILE it writes the server's pid there, so a test can kill the server itself;
// the tee then exits with it, as the server would.
import { spawn } from "node:child_process";
import { appendFileSync, writeFileSync } from "node:fs";

const log = process.env.MCP_TEE_LOG;
const child = spawn(process.execPath, [process.env.MCP_SERVER_ENTRY, "stdio"], { stdio: ["pipe", "pipe", "inherit"] });
if (process.env.MCP_TEE_PID_FILE) writeFileSync(process.env.MCP_TEE_PID_FILE, String(child.pid));
process.stdin.on("data", (chunk) => {
  appendFileSync(log, chunk);
  child.stdin.write(chunk);
});
process.stdin.on("end", () => child.kill("SIGTERM"));
child.stdout.pipe(process.stdout);
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("exit", (code) => process.exit(code ?? 0));
