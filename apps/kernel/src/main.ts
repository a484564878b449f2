/**
 * The `oxios` process. It parses the command line first and then loads only what the command
 * needs: `--help` and `--version` load nothing more; the daemon-control and client commands
 * load the CLI (`cli/cli.ts`, a small HTTP client of the running kernel); only
 * `start --foreground` (and `pnpm dev`) loads the kernel (`server.ts`), and only `doctor`
 * loads libsql and the embedder. Keep it that way: `cli.integration.test.ts` checks which
 * packages each thin command loads.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseCommandLine, routeOf, USAGE } from "./cli/command-line.ts";

const entry = fileURLToPath(import.meta.url);

/** The version in the kernel's `package.json` (one directory up from `src/` and `dist/` alike). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

/**
 * How `oxios start` runs this entry in the foreground: the built `dist/main.js` as is, or, when
 * running from the sources (`pnpm dev`, or `src/main.ts` under tsx), the sources through tsx.
 */
function foregroundCommand(): { command: string; args: string[] } {
  const fromSources = entry.endsWith(".ts");
  const loader = fromSources ? ["--conditions=@oxios/source", "--import", import.meta.resolve("tsx")] : [];
  return { command: process.execPath, args: [...loader, entry, "start", "--foreground"] };
}

async function main(): Promise<number> {
  const line = parseCommandLine(process.argv.slice(2));
  const route = routeOf(line);
  switch (route.kind) {
    case "version":
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    case "usage":
      process.stdout.write(`${USAGE}\n`);
      return route.exitCode;
    case "foreground": {
      const [{ createLogOutput }, { runForeground }] = await Promise.all([
        import("./log-output.ts"),
        import("./server.ts"),
      ]);
      // Coloured one-line records on a terminal (`pnpm dev`), JSON lines into the log file.
      const logger = await createLogOutput({ pretty: process.stdout.isTTY === true, fields: { component: "kernel" } });
      return runForeground({ environment: process.env, logger, print: (text) => console.log(text) });
    }
    case "cli": {
      const { runCli } = await import("./cli/cli.ts");
      // `run` and `chat` stop the kernel's run on the first Ctrl-C and exit 130; a second one
      // (the default action again) ends the process at once. Other commands keep the default.
      const interrupt = new AbortController();
      if (line.command === "run" || line.command === "chat") process.once("SIGINT", () => interrupt.abort());
      return runCli(line, {
        interrupt: interrupt.signal,
        environment: process.env,
        stdout: process.stdout,
        stderr: process.stderr,
        foreground: foregroundCommand(),
      });
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`oxios: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
