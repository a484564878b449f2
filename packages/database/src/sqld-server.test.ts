/**
 * The sqld fixture the remote tests stand on (`@oxios/tooling/sqld`): a real server on
 * 127.0.0.1, with sqlite-vec preloaded, that stops, comes back on the same port with the same
 * data, is gone after `close`, and serves a copy of a SQLite file when seeded with one.
 */

import { existsSync } from "node:fs";
import { type SqldServer, startSqld } from "@oxios/tooling/sqld";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "./open-database.ts";
import { removeTempFiles, tempDatabasePath } from "./test-support.ts";

async function health(url: string): Promise<number | "unreachable"> {
  try {
    return (await fetch(`${url}/health`)).status;
  } catch {
    return "unreachable";
  }
}

/** One statement over sqld's HTTP API (`/v2/pipeline`), without any client library. */
async function execute(server: SqldServer, sql: string): Promise<unknown> {
  const response = await fetch(`${server.url}/v2/pipeline`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(server.authToken === undefined ? {} : { authorization: `Bearer ${server.authToken}` }),
    },
    body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql } }, { type: "close" }] }),
  });
  return { status: response.status, body: await response.json() };
}

describe("startSqld", () => {
  let server: SqldServer;
  beforeAll(async () => {
    server = await startSqld();
  });
  afterAll(async () => {
    await server.close();
  });

  it("serves on 127.0.0.1 with sqlite-vec loaded", async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(await health(server.url)).toBe(200);
    const result = (await execute(server, "SELECT vec_version() AS v")) as { status: number; body: unknown };
    expect(result.status).toBe(200);
    expect(JSON.stringify(result.body)).toMatch(/v0\.1\.9/);
  });

  it("stops, and starts again on the same port with the same data", async () => {
    await execute(server, "CREATE TABLE kept (v TEXT)");
    await execute(server, "INSERT INTO kept VALUES ('before the stop')");
    const port = server.port;
    await server.stop();
    expect(server.pid).toBeUndefined();
    expect(await health(server.url)).toBe("unreachable");
    await server.start();
    expect(server.port).toBe(port);
    const result = (await execute(server, "SELECT v FROM kept")) as { body: unknown };
    expect(JSON.stringify(result.body)).toContain("before the stop");
  });

  it("removes its data directory on close", async () => {
    const other = await startSqld();
    const { dataDir, url } = other;
    await other.close();
    expect(existsSync(dataDir)).toBe(false);
    expect(await health(url)).toBe("unreachable");
  });
});

describe("startSqld({ auth: true })", () => {
  it("refuses a request without the token and accepts one with it", async () => {
    const server = await startSqld({ auth: true });
    try {
      expect(server.authToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const anonymous = await fetch(`${server.url}/v2/pipeline`, {
        method: "POST",
        body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }] }),
      });
      expect(anonymous.status).toBe(401);
      const result = (await execute(server, "SELECT 1")) as { status: number };
      expect(result.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe("startSqld({ seed })", () => {
  afterAll(() => removeTempFiles());

  it("serves a copy of the SQLite file, writable, and leaves the file as it was", async () => {
    const path = tempDatabasePath("seed.db");
    const file = await openDatabase({ url: `file:${path}` });
    file.exec("CREATE TABLE seeded (v TEXT)");
    file.run("INSERT INTO seeded VALUES (?)", ["from the file"]);
    file.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    file.close();
    const server = await startSqld({ seed: path });
    try {
      const read = (await execute(server, "SELECT v FROM seeded")) as { status: number; body: unknown };
      expect(read.status).toBe(200);
      expect(JSON.stringify(read.body)).toContain("from the file");
      const write = (await execute(server, "INSERT INTO seeded VALUES ('through sqld')")) as { status: number };
      expect(write.status).toBe(200);
    } finally {
      await server.close();
    }
    const again = await openDatabase({ url: `file:${path}` });
    try {
      expect(again.all<{ v: string }>("SELECT v FROM seeded").map((row) => row.v)).toEqual(["from the file"]);
    } finally {
      again.close();
    }
  });
});
