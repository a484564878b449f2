/**
 * Renders `docs/errors.md` from the declared error codes of every package and the kind → status
 * table, so the page cannot drift from the code: `node --conditions=@oxios/source --import tsx
 * src/http/errors-markdown.ts --write` regenerates it, and `pnpm check:docs` checks it.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ERROR_KINDS, type ErrorKind } from "@oxios/core";
import { errorCatalog } from "../error-catalog.ts";
import { STATUS_BY_KIND } from "./errors.ts";

export const ERRORS_DOC = fileURLToPath(new URL("../../../../docs/errors.md", import.meta.url));

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

export function renderErrorsMarkdown(): string {
  const catalog = errorCatalog();
  const lines = [
    "# Error codes",
    "",
    "<!-- Generated from every package's src/error-codes.ts (apps/kernel/src/http/errors-markdown.ts); `pnpm check:docs` checks it. -->",
    "",
    "Every Oxios error is a `KernelError` with a stable `code`; messages are for people and may",
    "change. Each package declares its codes in one file, `src/error-codes.ts`, with",
    "`defineErrorCodes` (`@oxios/core`): a code, its kind and a one-line description. A",
    "`KernelError` carries the kind of its code (`error.kind`; `internal` for a code nobody",
    "declared), and the HTTP API answers with the status of that kind (`apps/kernel/src/http/errors.ts`).",
    "Names read `<PACKAGE>_<THING>_<PROBLEM>` (`SCHEDULER_LIMIT_INVALID`), except the few generic",
    "ones of core (`ABORTED`, `TIMED_OUT`, `INTERNAL`) and of the HTTP API (`UNAUTHORIZED`, `NOT_FOUND`, …).",
    "",
    "## Kinds",
    "",
    "| Kind | HTTP status | Meaning |",
    "|---|---|---|",
  ];
  for (const [kind, meaning] of Object.entries(ERROR_KINDS) as Array<[ErrorKind, string]>) {
    lines.push(`| \`${kind}\` | ${STATUS_BY_KIND[kind]} | ${cell(meaning)} |`);
  }
  lines.push("", "## Codes");
  const owners = [...new Set(catalog.map((declared) => declared.owner))];
  for (const owner of owners) {
    lines.push("", `### \`${owner}\``, "", "| Code | Kind | HTTP | Description |", "|---|---|---|---|");
    for (const declared of catalog.filter((entry) => entry.owner === owner)) {
      lines.push(
        `| \`${declared.code}\` | ${declared.kind} | ${STATUS_BY_KIND[declared.kind]} | ${cell(declared.description)} |`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

export function readErrorsDoc(): string {
  return readFileSync(ERRORS_DOC, "utf8");
}

if (process.argv.includes("--write") && process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(ERRORS_DOC, renderErrorsMarkdown());
  console.log(`wrote ${ERRORS_DOC}`);
}
