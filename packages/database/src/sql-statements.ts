/**
 * Splits SQL text into its statements, the way SQLite's `sqlite3_complete` sees their ends: a
 * `;` outside string literals, quoted identifiers and comments ends a statement, except inside
 * `CREATE [TEMP] TRIGGER … BEGIN … END`, whose body's `;` belong to it.
 *
 * Why: the `libsql` driver runs a served database's multi-statement text by parsing and
 * re-printing each statement, and the re-printing upper-cases identifiers that are also
 * keywords (a column `action` becomes `ACTION`, and rows then come back keyed `ACTION`). Run
 * one at a time, each statement reaches sqld as written.
 */

/** The statements of `sql`, each trimmed and without its final `;`; empty ones (or only comments) are dropped. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let words: string[] = [];
  let index = 0;
  // Whether the statement so far has anything but whitespace and comments.
  let code = false;
  const finish = (end: number) => {
    const text = sql.slice(start, end).trim();
    if (code) statements.push(text);
    start = end + 1;
    words = [];
    code = false;
  };
  while (index < sql.length) {
    const char = sql[index] as string;
    const next = sql[index + 1];
    if (char === "-" && next === "-") {
      const end = sql.indexOf("\n", index);
      index = end === -1 ? sql.length : end + 1;
    } else if (char === "/" && next === "*") {
      const end = sql.indexOf("*/", index + 2);
      index = end === -1 ? sql.length : end + 2;
    } else if (char === "'" || char === '"' || char === "`" || char === "[") {
      code = true;
      const close = char === "[" ? "]" : char;
      let end = index + 1;
      for (;;) {
        end = sql.indexOf(close, end);
        if (end === -1) {
          end = sql.length;
          break;
        }
        // A doubled quote is an escaped quote inside the literal (not for [ ]).
        if (close !== "]" && sql[end + 1] === close) {
          end += 2;
          continue;
        }
        break;
      }
      index = end + 1;
    } else if (/[A-Za-z_]/.test(char)) {
      code = true;
      let end = index + 1;
      while (end < sql.length && /[A-Za-z0-9_$]/.test(sql[end] as string)) end++;
      words.push(sql.slice(index, end).toUpperCase());
      index = end;
    } else if (char === ";") {
      if (!isOpenTrigger(words)) finish(index);
      else words.push(";");
      index++;
    } else {
      if (!/\s/.test(char)) code = true;
      index++;
    }
  }
  finish(sql.length);
  return statements;
}

/** The words so far begin a CREATE TRIGGER whose body has not reached `END` followed by `;`. */
function isOpenTrigger(words: readonly string[]): boolean {
  const [first, second, third] = words;
  const isTrigger =
    first === "CREATE" &&
    (second === "TRIGGER" || ((second === "TEMP" || second === "TEMPORARY") && third === "TRIGGER"));
  return isTrigger && words[words.length - 1] !== "END";
}
