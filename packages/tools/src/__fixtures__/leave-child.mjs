// Starts a long-running child (`sleep <seconds>`, the seconds from argv so a test can find it),
// records its pid, then exits at once.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";

const child = spawn("sleep", [process.argv[2] ?? "1000"], { stdio: "ignore" });
writeFileSync("grandchild.pid", String(child.pid));
child.unref();
process.exit(0);
