// Finds error codes written inline in source files. Every code is declared once, in its
// package's src/error-codes.ts, and used through that table (`SchedulerErrorCode.draining`), so
// a rename is one edit and `docs/errors.md` lists every code there is. Flagged, outside
// error-codes.ts, tests, fixtures and comments:
// - a KernelError built, wrapped or matched with a string literal as its code
//   (`new KernelError("X"`, `KernelError.from(e, "X")`, `hasCode(e, "X")`), and an HTTP error
//   body or tool outcome with one (`errorBody("X"`, `errorResponse(c, "X"`, `code: "X"`,
//   `errorCode: "X"`);
// - any quoted string that equals a declared code.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface InlineErrorCode {
  file: string;
  line: number;
  problem: string;
}

const CODE = "[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*";
const constructions = [
  { name: "new KernelError", regex: /new\s+KernelError\(\s*["'`]/g },
  {
    name: "KernelError.from",
    regex: new RegExp(String.raw`KernelError\.from\([^;]*?,\s*["'\x60]${CODE}["'\x60]`, "g"),
  },
  { name: "hasCode", regex: new RegExp(String.raw`hasCode\([^;]*?,\s*["'\x60]${CODE}["'\x60]`, "g") },
  { name: "errorBody", regex: /errorBody\(\s*["'`]/g },
  { name: "errorResponse", regex: /errorResponse\(\s*\w+\s*,\s*["'`]/g },
  { name: "a code field", regex: new RegExp(String.raw`\b(?:code|errorCode)\s*:\s*["'\x60]${CODE}["'\x60]`, "g") },
];

function sourceFiles(directory: string, found: string[] = []): string[] {
  if (!existsSync(directory)) return found;
  for (const entry of readdirSync(directory)) {
    if (entry === "node_modules" || entry === "dist" || entry === "__fixtures__") continue;
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) sourceFiles(path, found);
    else if (
      path.endsWith(".ts") &&
      !path.endsWith(".test.ts") &&
      !path.endsWith(".fixture.ts") &&
      !path.endsWith("error-codes.ts")
    ) {
      found.push(path);
    }
  }
  return found;
}

/** Blanks comments, keeping line breaks so line numbers still match. */
function withoutComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, " "))
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

/** Inline error codes in the sources of every package and app under `root`. */
export function inlineErrorCodes(root: string, declared: ReadonlySet<string>): InlineErrorCode[] {
  const findings: InlineErrorCode[] = [];
  const files = ["packages", "apps"].flatMap((group) => {
    const base = join(root, group);
    if (!existsSync(base)) return [];
    return readdirSync(base).flatMap((name) => [
      ...sourceFiles(join(base, name, "src")),
      ...sourceFiles(join(base, name, "bench")),
    ]);
  });
  for (const path of files) {
    const text = withoutComments(readFileSync(path, "utf8"));
    const file = relative(root, path);
    for (const { name, regex } of constructions) {
      for (const match of text.matchAll(regex)) {
        findings.push({ file, line: lineOf(text, match.index), problem: `${name} with an inline code string` });
      }
    }
    for (const match of text.matchAll(new RegExp(String.raw`(["'])(${CODE})\1`, "g"))) {
      const code = match[2] as string;
      if (declared.has(code)) {
        findings.push({
          file,
          line: lineOf(text, match.index),
          problem: `the declared error code ${code} written inline; use its package's error-codes table`,
        });
      }
    }
  }
  // One finding per place: a literal can match a construction and be a declared code.
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = `${finding.file}:${finding.line}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
