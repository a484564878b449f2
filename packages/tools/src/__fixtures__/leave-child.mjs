// Starts a long-running child in the same process group, records its pid, then exits at once.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";

const child = spawn("sleep", ["1000"], { stdio: "ignore" });
writeFileSync("grandchild.pid", String(child.pid));
child.unref();
process.exit(0);
