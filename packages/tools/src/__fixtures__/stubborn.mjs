// Ignores SIGTERM, announces readiness with a file in its cwd, and never exits on its own.
import { writeFileSync } from "node:fs";

process.on("SIGTERM", () => undefined);
writeFileSync("stubborn.ready", String(process.pid));
setInterval(() => undefined, 1000);
