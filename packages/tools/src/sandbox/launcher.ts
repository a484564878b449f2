/**
 * The launcher a prepared sandbox runs while it waits for its command: a few lines of POSIX
 * sh on file descriptor 3, a socket to the kernel. It says `R` (ready) once the sandbox is
 * set up, reads the command as one line, and evals it. So the expensive part — namespaces and
 * mounts — can happen before the call arrives, and only the command travels later.
 *
 * The line is built by `launchLine` from words the kernel quotes itself: each word in single
 * quotes (a quote becomes `'\''`, a newline `'"$N"'`), so the shell sees only literal words
 * and never syntax from the caller. The line checks that the program exists (else it says `N`
 * and exits 127), closes the socket, sets the call's CPU limit with `ulimit` and `exec`s the
 * program, so the program replaces the launcher and nothing of the channel is left inside the
 * sandbox. The sandbox-wide limits were set before the launcher started (`prlimitArgs`).
 */

import { KernelError } from "@oxios/core";
import { ToolErrorCode } from "../error-codes.ts";
import type { ResourceLimits, SandboxCommand } from "./sandbox.ts";

/** The launcher's source, passed as `sh -c`. `N` holds a newline for `launchLine`'s words. */
export const LAUNCHER_SCRIPT = ["N='\n'", "printf R >&3", "IFS= read -r line <&3 || exit 125", 'eval "$line"'].join(
  "\n",
);

/** The byte the launcher sends when the sandbox is ready for its command. */
export const LAUNCHER_READY = "R";
/** The byte the launcher sends when the program is not on the sandbox's PATH. */
export const LAUNCHER_NOT_FOUND = "N";

/** One word for the launcher's shell: literal, whatever it contains (NUL is refused). */
export function shellWord(word: string): string {
  if (word.includes("\0")) {
    throw new KernelError(ToolErrorCode.inputInvalid, "a command word contains a NUL byte");
  }
  return `'${word.replaceAll("'", "'\\''").replaceAll("\n", "'\"$N\"'")}'`;
}

/** `prlimit` arguments setting every limit of `limits` as both soft and hard, then `--`. */
export function prlimitArgs(limits: ResourceLimits): string[] {
  const whole = (value: number) => String(Math.max(1, Math.floor(value)));
  return [
    "prlimit",
    `--fsize=${whole(limits.fileSizeBytes)}`,
    `--nproc=${whole(limits.processes)}`,
    `--as=${whole(limits.addressSpaceBytes)}`,
    "--",
  ];
}

/**
 * The one line the launcher evals to run `command`: the CPU limit (soft, then hard one second
 * later: SIGXCPU, then SIGKILL), then `exec` of the program.
 */
export function launchLine(command: SandboxCommand): string {
  const file = shellWord(command.file);
  const words = [command.file, ...command.args].map(shellWord).join(" ");
  const cpu = Math.max(1, Math.ceil(command.cpuSeconds));
  return (
    `command -v ${file} >/dev/null 2>&1 || { printf ${LAUNCHER_NOT_FOUND} >&3; exit 127; }; exec 3>&-; ` +
    `ulimit -S -t ${cpu} && ulimit -H -t ${cpu + 1} || exit 126; exec ${words}\n`
  );
}
