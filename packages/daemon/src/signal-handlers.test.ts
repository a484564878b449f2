import { EventEmitter } from "node:events";
import { createMemoryLogger } from "@oxios/core/testing";
import { describe, expect, it } from "vitest";
import { installSignalHandlers, type ShutdownSignal } from "./signal-handlers.ts";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe("installSignalHandlers", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("%s runs the shutdown once; later signals are logged only", async (first) => {
    const source = new EventEmitter();
    const logger = createMemoryLogger();
    const calls: ShutdownSignal[] = [];
    const gate = deferred();
    const handlers = installSignalHandlers({
      source,
      logger,
      onShutdown: async (signal) => {
        calls.push(signal);
        await gate.promise;
      },
    });
    source.emit(first);
    source.emit("SIGTERM");
    source.emit("SIGINT");
    expect(handlers.shuttingDown).toBe(true);
    gate.resolve();
    await handlers.settled();
    expect(calls).toEqual([first]);
    expect(logger.find("warn", "shutdown already in progress").map((record) => record.fields.signal)).toEqual([
      "SIGTERM",
      "SIGINT",
    ]);
    source.emit("SIGTERM");
    await handlers.settled();
    expect(calls).toEqual([first]);
    handlers.dispose();
  });

  it("logs a failing shutdown handler instead of losing the error", async () => {
    const source = new EventEmitter();
    const logger = createMemoryLogger();
    const handlers = installSignalHandlers({
      source,
      logger,
      onShutdown: () => {
        throw new Error("flush failed");
      },
    });
    source.emit("SIGTERM");
    await handlers.settled();
    expect(logger.find("error", "shutdown handler failed")[0]?.fields.error).toMatchObject({ message: "flush failed" });
    handlers.dispose();
  });

  it("SIGHUP reloads; reloads never overlap and a SIGHUP during one queues exactly one more", async () => {
    const source = new EventEmitter();
    const logger = createMemoryLogger();
    let active = 0;
    let maxActive = 0;
    let reloads = 0;
    const gates = [deferred(), deferred(), deferred()];
    const handlers = installSignalHandlers({
      source,
      logger,
      onShutdown: () => undefined,
      onReload: async () => {
        const gate = gates[reloads] ?? deferred();
        reloads += 1;
        active += 1;
        maxActive = Math.max(maxActive, active);
        await gate.promise;
        active -= 1;
      },
    });
    source.emit("SIGHUP");
    source.emit("SIGHUP");
    source.emit("SIGHUP");
    for (const gate of gates) gate.resolve();
    await handlers.settled();
    expect(reloads).toBe(2);
    expect(maxActive).toBe(1);
    expect(logger.find("info", "configuration reloaded")).toHaveLength(2);
    handlers.dispose();
  });

  it("SIGHUP during shutdown does not reload, and a failing reload is logged", async () => {
    const source = new EventEmitter();
    const logger = createMemoryLogger();
    let reloads = 0;
    const handlers = installSignalHandlers({
      source,
      logger,
      onShutdown: () => undefined,
      onReload: () => {
        reloads += 1;
        throw new Error("config.toml line 3: bad value");
      },
    });
    source.emit("SIGHUP");
    await handlers.settled();
    expect(logger.find("error", "configuration reload failed")).toHaveLength(1);
    source.emit("SIGTERM");
    source.emit("SIGHUP");
    await handlers.settled();
    expect(reloads).toBe(1);
    expect(logger.find("warn", "SIGHUP during shutdown")).toHaveLength(1);
    handlers.dispose();
  });

  it("dispose removes every listener it added", () => {
    const source = new EventEmitter();
    const handlers = installSignalHandlers({ source, logger: createMemoryLogger(), onShutdown: () => undefined });
    expect(["SIGINT", "SIGTERM", "SIGHUP"].map((event) => source.listenerCount(event))).toEqual([1, 1, 1]);
    handlers[Symbol.dispose]();
    handlers.dispose();
    expect(["SIGINT", "SIGTERM", "SIGHUP"].map((event) => source.listenerCount(event))).toEqual([0, 0, 0]);
  });
});
