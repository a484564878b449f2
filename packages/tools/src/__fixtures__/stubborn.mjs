// Ignores SIGTERM (noting each one in stubborn.term), announces readiness with a file in its
// cwd, and never exits on its own.
import { writeFileSync } from "node:fs";

process.on("SIGTERM", () => writeFileSync("stubborn.term", "SIGTERM"));
writeFileSync("stubborn.ready", String(process.pid));
setInterval(() => undefined, 1000);
