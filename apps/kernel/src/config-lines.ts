/**
 * Where each key of config.toml is written: a scan of the file's lines that records the line
 * of every table header (`[agents.writer]`) and every `key = …` under it, so an error about a
 * value can say `config.toml:12: agents.writer.template …`. The TOML parser (smol-toml) gives
 * values but not their lines; this scan is only for messages, so it may be approximate for
 * odd layouts (a key spread over several lines is found at its first).
 */

/** Dotted key (`agents.writer.template`) → 1-based line. */
export type ConfigLines = ReadonlyMap<string, number>;

/** Splits `a."b.c".d` into its parts, unquoting quoted ones. */
function splitDotted(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quote: string | undefined;
  for (const char of text.trim()) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === ".") {
      parts.push(current.trim());
      current = "";
    } else {
      current += char;
    }
  }
  parts.push(current.trim());
  return parts.filter((part) => part.length > 0);
}

const HEADER = /^\s*\[\s*([^[\]]+?)\s*\]\s*(#.*)?$/;
const KEY = /^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=/;
const INLINE_KEY = /[{,]\s*((?:"[^"]*"|[A-Za-z0-9_-]+))\s*=/g;

/** The line of every table header and key in `source`. */
export function configLines(source: string): ConfigLines {
  const lines = new Map<string, number>();
  let table: string[] = [];
  for (const [index, line] of source.split(/\r?\n/).entries()) {
    const number = index + 1;
    const header = HEADER.exec(line);
    if (header !== null) {
      table = splitDotted(header[1] as string);
      const key = table.join(".");
      if (!lines.has(key)) lines.set(key, number);
      continue;
    }
    const key = KEY.exec(line);
    if (key === null) continue;
    const path = [...table, ...splitDotted(key[1] as string)];
    lines.set(path.join("."), number);
    // Keys of an inline table on the same line: `tools = { allow = [...], deny = [...] }`.
    const rest = line.slice(key[0].length);
    for (const inner of rest.matchAll(INLINE_KEY)) {
      lines.set([...path, ...splitDotted(inner[1] as string)].join("."), number);
    }
  }
  return lines;
}

/** The line of `key`, or of the nearest enclosing key or table that has one. */
export function lineOf(lines: ConfigLines, key: string): number | undefined {
  const parts = key.split(".");
  while (parts.length > 0) {
    const line = lines.get(parts.join("."));
    if (line !== undefined) return line;
    parts.pop();
  }
  return undefined;
}
