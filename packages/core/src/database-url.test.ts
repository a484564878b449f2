import { describe, expect, it } from "vitest";
import { localDatabasePath } from "./database-url.ts";

describe("localDatabasePath", () => {
  it("maps file: URLs, plain paths and :memory: to a local path", () => {
    expect(localDatabasePath("file:///var/lib/oxios/oxios.db")).toBe("/var/lib/oxios/oxios.db");
    expect(localDatabasePath("file:///tmp/with%20space.db")).toBe("/tmp/with space.db");
    expect(localDatabasePath("file:relative/oxios.db")).toBe("relative/oxios.db");
    expect(localDatabasePath("/abs/oxios.db")).toBe("/abs/oxios.db");
    expect(localDatabasePath(":memory:")).toBe(":memory:");
  });

  it("returns undefined for remote URLs", () => {
    expect(localDatabasePath("http://127.0.0.1:8080")).toBeUndefined();
    expect(localDatabasePath("libsql://db.example.com")).toBeUndefined();
  });
});
