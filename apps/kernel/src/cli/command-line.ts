/**
 * The `oxios` command line, parsed once in `main.ts` before anything else is loaded: its
 * options, the command and its arguments, and the usage text. It imports only `node:util`,
 * so `oxios --help` and `oxios --version` answer without loading the CLI or the kernel.
 */

import { parseArgs } from "node:util";

export const USAGE = `usage: oxios <command>

  init [--print]              write a commented config.toml (every key, its default, its variable)
  start [--foreground]        start the kernel (detached unless --foreground)
  stop | restart | status     control the daemon
  run "<goal>" [--json] [--session ID] [--idempotency-key KEY]   prints the answer; exits 1 when the run or its evaluation failed
  chat                        interactive: each line is a run (Ctrl-C stops a run of run/chat, exit 130)
  agent list | agent kill ID
  memory add TEXT [--type T] [--tags a,b] | memory list [--limit N]
  memory search QUERY [--limit N] [--include-episodes]   (run episodes only when asked for)
  space list | space create NAME [--description TEXT]
  audit verify | audit tail [--limit N]
  git log [--depth N]
  config get [KEY] | config set KEY VALUE | config path   (get: the running kernel's, else the local)
  doctor                      check Node, sqlite-vec, embedder, model, port, permissions
  --version                   print the version
`;

export interface CommandLineOptions {
  json?: boolean;
  session?: string;
  "include-episodes"?: boolean;
  foreground?: boolean;
  type?: string;
  tags?: string;
  limit?: string;
  depth?: string;
  description?: string;
  "idempotency-key"?: string;
  help?: boolean;
  version?: boolean;
  print?: boolean;
}

export interface CommandLine {
  /** The first positional argument (`status`, `memory`, …), if any. */
  command: string | undefined;
  /** The second positional argument (`memory search` → `search`), if any. */
  sub: string | undefined;
  /** The positional arguments after `sub`. */
  rest: string[];
  options: CommandLineOptions;
}

/** What `main.ts` does with a command line; only `cli` and `foreground` load more modules. */
export type CommandRoute =
  | { kind: "version" }
  | { kind: "usage"; exitCode: 0 | 1 }
  | { kind: "foreground" }
  | { kind: "cli" };

/** Parses `argv` (without `node` and the script). Throws a TypeError naming an unknown option. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: "boolean" },
      session: { type: "string" },
      "include-episodes": { type: "boolean" },
      foreground: { type: "boolean" },
      type: { type: "string" },
      tags: { type: "string" },
      limit: { type: "string" },
      depth: { type: "string" },
      description: { type: "string" },
      "idempotency-key": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
      print: { type: "boolean" },
    },
  });
  const [command, sub, ...rest] = positionals;
  return { command, sub, rest, options: values };
}

export function routeOf(line: CommandLine): CommandRoute {
  if (line.options.version === true) return { kind: "version" };
  if (line.command === undefined || line.command === "help" || line.options.help === true) {
    // A bare `oxios` is a usage error; asking for help is not.
    return { kind: "usage", exitCode: line.command === undefined && line.options.help !== true ? 1 : 0 };
  }
  if (line.command === "start" && line.options.foreground === true) return { kind: "foreground" };
  return { kind: "cli" };
}
