/** Kernel configuration from the environment, validated with messages that name the key. */

import { KernelError } from "@oxios/core";

export interface KernelConfig {
  host: string;
  port: number;
}

export function loadConfig(environment: Record<string, string | undefined>): KernelConfig {
  const host = environment.OXIOS_HOST ?? "127.0.0.1";
  const rawPort = environment.OXIOS_PORT ?? "4200";
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KernelError("CONFIG_INVALID", `OXIOS_PORT must be an integer from 0 to 65535, got "${rawPort}"`, {
      details: { key: "OXIOS_PORT", value: rawPort },
    });
  }
  return { host, port };
}
