import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "./open-database.ts";
import { acquireDatabase } from "./store-database.ts";
import { removeTempFiles, tempDatabasePath } from "./test-support.ts";

afterEach(removeTempFiles);

describe("acquireDatabase", () => {
  it("opens a connection from a URL with the store's defaults, and release closes it", async () => {
    const acquired = await acquireDatabase({ url: tempDatabasePath() }, { busyTimeoutMs: 1_234 });
    expect(acquired.database.get("PRAGMA busy_timeout")).toEqual({ timeout: 1_234 });
    acquired.release();
    expect(acquired.database.isOpen).toBe(false);
  });

  it("uses a shared handle as it is, and release leaves it open", async () => {
    const shared = await openDatabase({ url: tempDatabasePath() });
    const acquired = await acquireDatabase({ database: shared }, { busyTimeoutMs: 1 });
    expect(acquired.database).toBe(shared);
    acquired.release();
    expect(shared.isOpen).toBe(true);
    expect(shared.get("PRAGMA busy_timeout")).toEqual({ timeout: 5_000 });
    shared.close();
  });

  it("refuses a ws:// URL like openDatabase does", async () => {
    await expect(acquireDatabase({ url: "ws://127.0.0.1:1", authToken: "t" })).rejects.toMatchObject({
      code: "DATABASE_REMOTE_UNSUPPORTED",
    });
  });
});
