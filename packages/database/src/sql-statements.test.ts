import { describe, expect, it } from "vitest";
import { splitStatements } from "./sql-statements.ts";

describe("splitStatements", () => {
  it("splits on semicolons and drops empty statements and lone comments", () => {
    expect(splitStatements("CREATE TABLE a (x); ;\n INSERT INTO a VALUES (1);  ")).toEqual([
      "CREATE TABLE a (x)",
      "INSERT INTO a VALUES (1)",
    ]);
    expect(splitStatements("PRAGMA foreign_keys = ON")).toEqual(["PRAGMA foreign_keys = ON"]);
    expect(splitStatements("  ; -- only a comment\n")).toEqual([]);
  });

  it("keeps semicolons inside literals, quoted identifiers and comments", () => {
    const sql = `INSERT INTO a VALUES ('x;y', 'it''s; fine'); SELECT "we;ird", \`b;c\`, [d;e] FROM a -- a; comment
      ; /* block; comment */ SELECT 2`;
    expect(splitStatements(sql)).toEqual([
      "INSERT INTO a VALUES ('x;y', 'it''s; fine')",
      'SELECT "we;ird", `b;c`, [d;e] FROM a -- a; comment',
      "/* block; comment */ SELECT 2",
    ]);
  });

  it("keeps a trigger's body whole, up to END;", () => {
    const sql = `CREATE TABLE m (id INTEGER PRIMARY KEY, content TEXT);
      CREATE TRIGGER m_insert AFTER INSERT ON m BEGIN
        INSERT INTO log VALUES (new.id);
        INSERT INTO log VALUES (-new.id);
      END;
      create temp trigger m_delete after delete on m begin delete from log where id = old.id; end;
      CREATE INDEX m_content ON m (content)`;
    const statements = splitStatements(sql);
    expect(statements).toHaveLength(4);
    expect(statements[1]).toMatch(/^CREATE TRIGGER m_insert[\s\S]*INSERT INTO log VALUES \(-new\.id\);\s+END$/);
    expect(statements[2]).toBe(
      "create temp trigger m_delete after delete on m begin delete from log where id = old.id; end",
    );
    expect(statements[3]).toBe("CREATE INDEX m_content ON m (content)");
  });
});
