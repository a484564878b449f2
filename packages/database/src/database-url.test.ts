import { describe, expect, it } from "vitest";
import { parseDatabaseUrl } from "./database-url.ts";

describe("parseDatabaseUrl", () => {
  it("maps file: URLs, plain paths and :memory: to a local path", () => {
    expect(parseDatabaseUrl("file:///var/lib/oxios/oxios.db")).toEqual({
      kind: "file",
      path: "/var/lib/oxios/oxios.db",
    });
    expect(parseDatabaseUrl("file:///tmp/with%20space.db")).toEqual({ kind: "file", path: "/tmp/with space.db" });
    expect(parseDatabaseUrl("file:relative/oxios%20x.db")).toEqual({ kind: "file", path: "relative/oxios x.db" });
    expect(parseDatabaseUrl("/abs/oxios.db")).toEqual({ kind: "file", path: "/abs/oxios.db" });
    expect(parseDatabaseUrl(":memory:")).toEqual({ kind: "file", path: ":memory:" });
  });

  it("names the scheme of a served database", () => {
    expect(parseDatabaseUrl("http://127.0.0.1:8080")).toMatchObject({ kind: "remote", scheme: "http" });
    expect(parseDatabaseUrl("HTTPS://db.example.com")).toMatchObject({ kind: "remote", scheme: "https" });
    expect(parseDatabaseUrl("libsql://db.example.com")).toMatchObject({ kind: "remote", scheme: "libsql" });
    expect(parseDatabaseUrl("wss://db.example.com")).toMatchObject({ kind: "remote", scheme: "wss" });
  });

  it("refuses an empty URL and other schemes with DATABASE_URL_INVALID", () => {
    for (const url of ["", "   ", "ftp://example.com/x.db"]) {
      expect(() => parseDatabaseUrl(url)).toThrow(expect.objectContaining({ code: "DATABASE_URL_INVALID" }));
    }
  });
});
