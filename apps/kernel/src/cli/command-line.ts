/**
 * The `oxios` command line, parsed once in `main.ts` before anything else is loaded: its
 * options, the command and its arguments, and the usage text. It imports only `node:util`,
 * so `oxios --help` and `oxios --version` answer without loading the CLI or the kernel.
 */

import { parseArgs } from "node:util";

/** The exit status of a command ended by Ctrl-C (128 + SIGINT), as a shell reports it. */
export const INTERRUPTED = 130;

export const USAGE = `usage: oxios <command>

  init [--print]              write a commented config.toml (every key, its default, its variable)
  start [--foreground]        start the kernel (detached unless --foreground)
  stop | restart | status     control the daemon
  console [--print]           the console's URL, signed in (token in the #fragment); opens it on a desktop
  run "<goal>" [--agent NAME] [--json] [--session ID] [--idempotency-key KEY]
                              prints the answer; exits 1 when the run or its evaluation failed
  chat [--agent NAME] [--session ID]   interactive, streamed; .session .agent .space .reset .help
                              (Ctrl-C stops a run of run/chat, exit 130)
  agent list | agent kill ID | agent profiles
  approvals [list] [--all] | approvals approve ID [--reason T] | approvals reject ID [--reason T]
  schedule [list] | schedule show NAME | schedule rm NAME | schedule run NAME
  schedule add NAME (--cron "0 9 * * 1-5" [--tz ZONE] | --every 1h) --goal TEXT [--agent NAME]
           [--missed skip|run-once] [--overlap skip|queue]
  sessions [list] [--limit N] | sessions show ID | sessions rm ID
  memory add TEXT [--type T] [--tags a,b] | memory list [--limit N]
  memory search QUERY [--limit N] [--include-episodes]   (run episodes only when asked for)
  space list | space create NAME [--description TEXT]
  audit verify | audit tail [--limit N] | audit export [--from SEQ] > audit.jsonl
  git log [--depth N] | git tags | git tag NAME [--commit REF] | git verify | git restore PATH --commit REF
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
  agent?: string;
  reason?: string;
  by?: string;
  all?: boolean;
  cron?: string;
  every?: string;
  tz?: string;
  goal?: string;
  missed?: string;
  overlap?: string;
  from?: string;
  commit?: string;
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
      agent: { type: "string" },
      reason: { type: "string" },
      by: { type: "string" },
      all: { type: "boolean" },
      cron: { type: "string" },
      every: { type: "string" },
      tz: { type: "string" },
      goal: { type: "string" },
      missed: { type: "string" },
      overlap: { type: "string" },
      from: { type: "string" },
      commit: { type: "string" },
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
