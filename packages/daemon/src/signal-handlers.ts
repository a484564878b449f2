/**
 * Signal handling for the daemon process: SIGINT and SIGTERM both run the ordered shutdown
 * (upstream waited only for Ctrl-C, so `stop`'s SIGTERM skipped the graceful path), exactly
 * once — a further signal while it runs is logged, not acted on. SIGHUP reloads the
 * configuration; reloads never overlap (a SIGHUP during a reload queues one more).
 *
 * Once these handlers are installed the runtime no longer exits on SIGINT/SIGTERM by
 * itself: `onShutdown` must end the process (close servers and timers, or set
 * `process.exitCode` and exit).
 */

import { KernelError, type Logger } from "@oxios/core";

export type ShutdownSignal = "SIGINT" | "SIGTERM";

/** Where signals come from; `process` by default. Tests pass an EventEmitter. */
export interface SignalSource {
  on(event: "SIGINT" | "SIGTERM" | "SIGHUP", listener: () => void): unknown;
  off(event: "SIGINT" | "SIGTERM" | "SIGHUP", listener: () => void): unknown;
}

export interface SignalHandlerOptions {
  readonly onShutdown: (signal: ShutdownSignal) => Promise<void> | void;
  readonly onReload?: () => Promise<void> | void;
  readonly logger: Logger;
  readonly source?: SignalSource;
}

export interface SignalHandlers {
  /** Removes the listeners; idempotent. Work already started keeps running. */
  dispose(): void;
  [Symbol.dispose](): void;
  /** Resolves once no shutdown or reload is in progress. */
  settled(): Promise<void>;
  /** True once a shutdown signal arrived. */
  readonly shuttingDown: boolean;
}

/**
 * Installs the SIGINT, SIGTERM and SIGHUP handlers described in the module comment.
 *
 * Throws: nothing; an error of `onShutdown` or `onReload` is logged, never thrown, and
 * `settled()` never rejects.
 * Abort: takes no signal; `dispose()` removes the listeners and work already started keeps
 * running (`settled()` waits for it).
 */
export function installSignalHandlers(options: SignalHandlerOptions): SignalHandlers {
  const source: SignalSource = options.source ?? process;
  const logger = options.logger;
  let shutdown: Promise<void> | undefined;
  let reload: Promise<void> | undefined;
  let reloadAgain = false;
  let disposed = false;

  const onShutdownSignal = (signal: ShutdownSignal): void => {
    if (shutdown !== undefined) {
      logger.warn("shutdown already in progress; signal ignored", { signal });
      return;
    }
    logger.info("shutdown signal received", { signal });
    shutdown = Promise.resolve()
      .then(() => options.onShutdown(signal))
      .then(
        () => logger.info("shutdown handler finished", { signal }),
        (error: unknown) => logger.error("shutdown handler failed", { signal, error: KernelError.from(error) }),
      );
  };

  const runReload = (): Promise<void> =>
    Promise.resolve()
      .then(() => options.onReload?.())
      .then(
        () => logger.info("configuration reloaded"),
        (error: unknown) => logger.error("configuration reload failed", { error: KernelError.from(error) }),
      )
      .then(() => {
        if (reloadAgain && shutdown === undefined) {
          reloadAgain = false;
          return runReload();
        }
        reload = undefined;
      });

  const onHangup = (): void => {
    if (shutdown !== undefined) {
      logger.warn("SIGHUP during shutdown; reload skipped");
      return;
    }
    if (options.onReload === undefined) {
      logger.warn("SIGHUP received but no reload handler is installed");
      return;
    }
    if (reload !== undefined) {
      logger.info("SIGHUP during a reload; one more reload queued");
      reloadAgain = true;
      return;
    }
    logger.info("SIGHUP received; reloading configuration");
    reload = runReload();
  };

  const onInterrupt = (): void => onShutdownSignal("SIGINT");
  const onTerminate = (): void => onShutdownSignal("SIGTERM");
  source.on("SIGINT", onInterrupt);
  source.on("SIGTERM", onTerminate);
  source.on("SIGHUP", onHangup);

  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    source.off("SIGINT", onInterrupt);
    source.off("SIGTERM", onTerminate);
    source.off("SIGHUP", onHangup);
  };

  return {
    dispose,
    [Symbol.dispose]: dispose,
    settled: async () => {
      while (shutdown !== undefined || reload !== undefined) {
        const pending = [shutdown, reload].filter((task): task is Promise<void> => task !== undefined);
        await Promise.all(pending);
        if (reload === undefined) break;
      }
    },
    get shuttingDown() {
      return shutdown !== undefined;
    },
  };
}
