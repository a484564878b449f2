/**
 * The `oxios` process: `oxios start --foreground` (and `pnpm dev`) runs the kernel in this
 * process; every other command is the CLI talking to a running kernel.
 */

import { createConsoleLogger, KernelError } from "@oxios/core";
import { runCli } from "./cli/cli.ts";
import { runForeground } from "./server.ts";

const argv = process.argv.slice(2);
const foreground = argv[0] === "start" && argv.includes("--foreground");

async function main(): Promise<number> {
  if (foreground) {
    const logger = createConsoleLogger({ fields: { component: "kernel" } });
    return runForeground({ environment: process.env, logger, print: (line) => console.log(line) });
  }
  return runCli(argv, { environment: process.env, stdout: process.stdout, stderr: process.stderr });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const failure = KernelError.from(error);
    console.error(`oxios: ${failure.message}`);
    process.exit(1);
  },
);
