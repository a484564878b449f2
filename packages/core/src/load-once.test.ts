import { describe, expect, it } from "vitest";
import { KernelError } from "./errors.ts";
import { loadOnce } from "./load-once.ts";

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const failed = (cause: unknown) => new KernelError("TEST_LOAD_FAILED", "could not load", { cause });

describe("loadOnce", () => {
  it("shares one load among the calls made while it runs, and keeps what it loaded", async () => {
    const pending = deferred<{ name: string }>();
    let loads = 0;
    const load = loadOnce(() => {
      loads++;
      return pending.promise;
    }, failed);
    const first = load();
    const second = load();
    expect(loads).toBe(1);
    pending.resolve({ name: "sdk" });
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBe(b);
    expect(await load()).toBe(a);
    expect(loads).toBe(1);
  });

  it("rejects every waiting call with the coded error, then loads again at the next call", async () => {
    const attempts = [deferred<string>(), deferred<string>()];
    let loads = 0;
    const load = loadOnce(() => (attempts[loads++] as (typeof attempts)[number]).promise, failed);
    const first = load();
    const second = load();
    const cause = new Error("Cannot find package '@a2a-js/sdk'");
    attempts[0]?.reject(cause);
    for (const call of [first, second]) {
      await expect(call).rejects.toMatchObject({ code: "TEST_LOAD_FAILED", cause });
    }
    expect(loads).toBe(1);
    const third = load();
    expect(loads).toBe(2);
    attempts[1]?.resolve("loaded");
    await expect(third).resolves.toBe("loaded");
    await expect(load()).resolves.toBe("loaded");
    expect(loads).toBe(2);
  });
});
