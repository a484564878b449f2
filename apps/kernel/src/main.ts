/**
 * The oxios process. Today it serves the kernel's health endpoint; the modules are composed
 * here as their packages land.
 */

import { serve } from "@hono/node-server";
import { createConsoleLogger, KernelError } from "@oxios/core";
import { Hono } from "hono";
import { loadConfig } from "./config.ts";

const version = "0.1.0";
const logger = createConsoleLogger({ fields: { component: "kernel" } });
const startedAt = Date.now();

function main(): void {
  const config = loadConfig(process.env);
  const app = new Hono();
  app.get("/health", (context) => context.json({ status: "ok", version, uptimeMs: Date.now() - startedAt }));
  app.notFound((context) => context.json({ error: { code: "NOT_FOUND", message: "no such route" } }, 404));

  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    console.log(`oxios ${version} listening on http://${config.host}:${info.port}`);
    console.log(`  curl http://${config.host}:${info.port}/health`);
  });
  server.on("error", (error: NodeJS.ErrnoException) => {
    const message =
      error.code === "EADDRINUSE"
        ? `port ${config.port} is already in use (set OXIOS_PORT to another port)`
        : error.message;
    logger.error("server failed", { code: error.code, message });
    process.exitCode = 1;
  });
  const shutdown = (signal: string): void => {
    logger.info("shutting down", { signal });
    server.close((error) => {
      if (error) logger.error("close failed", { message: error.message });
      process.exit(error ? 1 : 0);
    });
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

try {
  main();
} catch (error) {
  const kernelError = KernelError.from(error);
  logger.error("failed to start", { code: kernelError.code, message: kernelError.message });
  process.exitCode = 1;
}
