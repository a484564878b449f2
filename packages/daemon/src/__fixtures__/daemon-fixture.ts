/**
 * A tiny daemon for the controller's integration tests: takes the pid file in OXIOS_HOME,
 * serves /health on FIXTURE_PORT, and on SIGTERM runs an ordered shutdown (close the server,
 * remove the pid file) and exits 0. FIXTURE_MODE changes the behaviour:
 * - "ignore-sigterm": logs SIGTERM and keeps running (to be SIGKILLed);
 * - "exit-early": writes a few lines and exits with code 3 before serving.
 */

import { createConsoleLogger } from "@oxios/core";
import { acquirePidFile } from "../pid-file.ts";
import { serve } from "../serve.ts";
import { ShutdownSequence } from "../shutdown-sequence.ts";
import { installSignalHandlers } from "../signal-handlers.ts";

const home = process.env.OXIOS_HOME;
const port = Number(process.env.FIXTURE_PORT ?? "0");
const mode = process.env.FIXTURE_MODE ?? "graceful";
const logger = createConsoleLogger({ fields: { fixture: process.pid } });

if (home === undefined) throw new Error("OXIOS_HOME is not set");

if (mode === "exit-early") {
  console.log(`fixture ${process.pid} booting`);
  console.error("fixture: configuration broken, giving up");
  process.exit(3);
}

// Signal handling goes first, so a SIGTERM that arrives while booting still shuts down in order.
const shutdown = new ShutdownSequence({ logger });
if (mode === "ignore-sigterm") {
  process.on("SIGTERM", () => console.log(`fixture ${process.pid} ignoring SIGTERM`));
} else {
  installSignalHandlers({
    logger,
    onShutdown: async (signal) => {
      const report = await shutdown.run(signal);
      console.log(`fixture ${process.pid} shut down ok=${report.ok} reason=${report.reason}`);
      process.exitCode = report.ok ? 0 : 1;
    },
    onReload: () => console.log(`fixture ${process.pid} reloaded`),
  });
}

const pidFile = await acquirePidFile({ home, logger });
let server: Awaited<ReturnType<typeof serve>>;
try {
  server = await serve(() => Response.json({ status: "ok", pid: process.pid }), {
    hostname: "127.0.0.1",
    port,
    logger,
  });
} catch (error) {
  logger.error("cannot serve", { error });
  await pidFile.release();
  process.exit(2);
}
shutdown
  .add("close http", () => server.close(), { timeoutMs: 2_000 })
  .add("remove pid file", async () => {
    await pidFile.release();
  });
await pidFile.update({ url: server.url });
console.log(`fixture ${process.pid} listening on ${server.url}`);
