/**
 * The kernel in the foreground: umask 077 and the home secured, the API token and the one
 * redactor built from every secret the process holds (the logger redacts through it from
 * here on), signal handlers (so a SIGTERM during boot still takes the ordered path), then the
 * pid file, the modules, the HTTP server. Shutdown runs the daemon's ShutdownSequence: stop
 * intake → drain scheduler → stop agents → flush memory → flush audit → flush git → close
 * databases → remove the pid file; steps that outlived their timeout get a bounded grace
 * before the process exits (`run-shutdown.ts`).
 */

import { type Clock, KernelError, type Logger, redactingLogger, systemClock } from "@oxios/core";
import {
  acquirePidFile,
  DaemonErrorCode,
  installSignalHandlers,
  type PidFile,
  type ServedHttp,
  ShutdownSequence,
  serve,
} from "@oxios/daemon";
import { type KernelConfig, loadConfig } from "./config.ts";
import { KernelErrorCode } from "./error-codes.ts";
import { restrictUmask, secureHome } from "./home-permissions.ts";
import { createApi } from "./http/app.ts";
import { exposureWarning } from "./http/bind-address.ts";
import { findConsoleDir } from "./http/console-assets.ts";
import { healthBody } from "./http/routes/health.ts";
import { StreamRegistry } from "./http/stream-registry.ts";
import { bootKernel, KERNEL_VERSION, type Kernel, reloadControlPlane } from "./kernel.ts";
import { describeModel, modelSetupProblem } from "./model-setup.ts";
import { runShutdown } from "./run-shutdown.ts";
import { kernelRedactor } from "./secrets.ts";
import { type ProvidedToken, provideApiToken, tokenNotice } from "./token.ts";

export interface ForegroundOptions {
  environment: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  /** Human-facing lines (URL, where the token is, progress). */
  print: (line: string) => void;
  /**
   * Whether `print` reaches a terminal; a newly created token is printed only then (a
   * detached kernel's output goes to its log file). Default: whether stdout is a TTY.
   */
  terminal?: boolean;
  clock?: Clock;
}

/** Runs the kernel until a shutdown signal; resolves with the process exit code. */
export async function runForeground(options: ForegroundOptions): Promise<number> {
  const clock = options.clock ?? systemClock;
  restrictUmask();
  let config: KernelConfig;
  let provided: ProvidedToken;
  try {
    config = loadConfig(options.environment);
    const problem = modelSetupProblem(config);
    if (problem !== undefined) {
      throw new KernelError(KernelErrorCode.configInvalid, `${problem.cause}: ${problem.fix}`, {
        details: { key: "model", model: config.model },
      });
    }
    secureHome(config.home, options.logger);
    provided = provideApiToken(config.home, config.apiToken, config.llmApiKey);
  } catch (error) {
    const failure = KernelError.from(error);
    options.print(`oxios: ${failure.message}`);
    options.logger.error(
      failure.code === KernelErrorCode.configInvalid ? "configuration invalid" : "cannot prepare the home",
      {
        code: failure.code,
        message: failure.message,
      },
    );
    return 1;
  }
  const token = provided.token;
  const redactor = kernelRedactor({ config, apiToken: token, environment: options.environment });
  const logger = redactingLogger(options.logger, redactor);
  // Human-facing lines go through the redactor too (a detached kernel's output is its log);
  // only the one-time token notice below is printed as it is.
  const print = (line: string) => options.print(redactor.redact(line));

  const shutdown = new ShutdownSequence({ logger, clock });
  let finished: (code: number) => void = () => undefined;
  const exit = new Promise<number>((resolve) => {
    finished = resolve;
  });
  let markBooted: () => void = () => undefined;
  const booted = new Promise<void>((resolve) => {
    markBooted = resolve;
  });
  const signals = installSignalHandlers({
    logger,
    onShutdown: async (signal) => {
      await booted;
      const report = await runShutdown(shutdown, signal, logger);
      logger.info("shutdown complete", { ok: report.ok, durationMs: report.durationMs });
      finished(report.ok ? 0 : 1);
    },
    onReload: async () => {
      const next = loadConfig(options.environment);
      // Profiles, skills and schedules apply now (runs going on keep theirs); the rest at the next restart.
      if (kernel !== undefined) await reloadControlPlane(kernel, next);
      const live = new Set<keyof KernelConfig>(["agents", "schedules", "configLines"]);
      const changed = (Object.keys(next) as Array<keyof KernelConfig>).filter(
        (key) => !live.has(key) && JSON.stringify(next[key]) !== JSON.stringify(config[key]),
      );
      logger.info("configuration reloaded: agent profiles and schedules applied", {
        profiles: next.agents.map((agent) => agent.name),
        schedules: next.schedules.map((schedule) => schedule.name),
        ...(changed.length === 0 ? {} : { changedAtNextRestart: changed }),
      });
    },
  });

  const streams = new StreamRegistry();
  let server: ServedHttp | undefined;
  let kernel: Kernel | undefined;
  shutdown.add(
    "stop intake",
    async () => {
      if (kernel !== undefined) {
        kernel.lifecycle.draining = true;
        kernel.schedules.stop();
      }
      // Long polls answer now and event streams end, so closing the server waits for nothing long.
      kernel?.runs.stopIntake();
      streams.closeAll();
      // Ends the A2A relays and cancels the runs they were streaming (their callers are gone).
      await kernel?.a2a.close();
      await server?.close();
    },
    { timeoutMs: 5_000 },
  );

  let pidFile: PidFile;
  try {
    pidFile = await acquirePidFile({ home: config.home, logger });
  } catch (error) {
    const failure = KernelError.from(error);
    print(
      failure.code === DaemonErrorCode.alreadyRunning
        ? `oxios is already running (pid ${String((failure.details as { pid?: number } | undefined)?.pid ?? "?")}); not starting a second kernel`
        : `oxios: ${failure.message}`,
    );
    signals.dispose();
    return 1;
  }

  try {
    const booted = await bootKernel({ config, logger, clock, redactor, progress: (line) => print(line) }, shutdown);
    kernel = booted;
    const consoleDir = findConsoleDir();
    if (consoleDir === undefined) logger.info("the console is not built; / answers 404 (run pnpm build)");
    const app = createApi({
      kernel: booted,
      token,
      streams,
      a2a: booted.a2a,
      ...(consoleDir === undefined ? {} : { consoleDir }),
    });
    server = await serve(app.fetch, {
      hostname: config.host,
      port: config.port,
      logger,
      liveness: { path: "/health", body: () => healthBody(booted) },
    });
    const exposure = exposureWarning(config.host, config.port);
    if (exposure !== undefined) logger.warn(exposure, { host: config.host, port: config.port, url: server.url });
    await pidFile.update({ url: server.url });
    shutdown.add(
      "remove pid file",
      async () => {
        await pidFile.release();
      },
      { timeoutMs: 5_000 },
    );
    const notice = tokenNotice(provided, options.terminal ?? process.stdout.isTTY === true);
    print(`oxios ${KERNEL_VERSION} listening on ${server.url}`);
    if (exposure !== undefined) print(`  warning: ${exposure}`);
    print(`  home:  ${config.home}`);
    print(`  model: ${describeModel(config)}`);
    for (const notice of config.notices) print(`  note:  ${notice}`);
    for (const line of notice.lines) options.print(line);
    if (consoleDir !== undefined) print(`  console: ${server.url}/  (oxios console prints a signed-in link)`);
    print(`  a2a:   ${server.url}/.well-known/agent-card.json`);
    print("  try:");
    print(`    curl ${server.url}/health`);
    print(`    curl -H "${notice.curlHeader}" ${server.url}/api/status`);
    print(
      `    curl -H "${notice.curlHeader}" -H 'content-type: application/json' -d '{"goal":"list the files"}' ${server.url}/api/runs`,
    );
    const { resumed } = kernel.recovery;
    if (resumed.length > 0) print(`  ${resumed.length} run(s) of the previous process continue from their journal`);
    const { interrupted } = kernel;
    if (interrupted.length > 0) {
      const more = interrupted.length > 3 ? `, … (${interrupted.length} in all; /api/status lists them)` : "";
      const ids = interrupted.slice(0, 3).map((run) => run.taskId);
      print(
        `  ${interrupted.length} run(s) interrupted by the previous shutdown could not continue: ${ids.join(", ")}${more}`,
      );
    }
    logger.info("kernel ready", {
      url: server.url,
      pid: process.pid,
      bootMs: Math.round(clock.now() - kernel.startedAt),
    });
    kernel.lifecycle.ready = true;
    markBooted();
  } catch (error) {
    const failure = KernelError.from(error);
    logger.error("boot failed", { code: failure.code, message: failure.message });
    shutdown.add(
      "remove pid file",
      async () => {
        await pidFile.release();
      },
      { timeoutMs: 5_000 },
    );
    signals.dispose();
    await runShutdown(shutdown, "boot failed", logger);
    // The reason is the last line, after the shutdown's: what a terminal shows last and what
    // `oxios start` finds at the end of the log.
    print(
      failure.code === DaemonErrorCode.portInUse
        ? `oxios: port ${config.port} on ${config.host} is already in use (set OXIOS_PORT or port in ${config.configPath})`
        : `oxios: failed to start: ${failure.message}`,
    );
    return 1;
  }
  const code = await exit;
  signals.dispose();
  return code;
}
