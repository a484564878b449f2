/** A small HTTP client for the CLI: the running kernel's URL and token, JSON in and out. */

import { KernelError } from "@oxios/core";
import { DaemonController, inspectPidFile } from "@oxios/daemon";
import type { KernelConfig } from "../config.ts";
import { KernelErrorCode } from "../error-codes.ts";
import { readApiToken } from "../token.ts";

export class KernelClient {
  readonly url: string;
  readonly token: string;

  constructor(url: string, token: string) {
    this.url = url.replace(/\/$/, "");
    this.token = token;
  }

  /** The client of the kernel running in `config.home`, or CLI_KERNEL_NOT_RUNNING. */
  static async connect(config: KernelConfig): Promise<KernelClient> {
    const state = await inspectPidFile(config.home);
    if (state.state !== "running") {
      throw new KernelError(KernelErrorCode.cliKernelNotRunning, "oxios is not running (start it with `oxios start`)");
    }
    const token = readApiToken(config.home, config.apiToken);
    if (token === undefined) throw new KernelError(KernelErrorCode.tokenMissing, `no API token in ${config.home}`);
    return new KernelClient(state.record.url ?? localUrl(config), token);
  }

  /**
   * One request; `signal` aborts it (the kernel sees the connection close: a chat or run it
   * was serving for this request stops).
   */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      ...(signal === undefined ? {} : { signal }),
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const parsed = text.length > 0 && response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text;
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } }).error;
      throw new KernelError(
        error?.code ?? KernelErrorCode.cliRequestFailed,
        error?.message ?? `${response.status} ${response.statusText}`,
        {
          details: { status: response.status },
        },
      );
    }
    return parsed as T;
  }
}

export function localUrl(config: KernelConfig): string {
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.port}`;
}

export function controllerFor(
  config: KernelConfig,
  logger: ConstructorParameters<typeof DaemonController>[0]["logger"],
) {
  return new DaemonController({ home: config.home, logger });
}
