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
    const response = await this.#fetch(method, path, body, signal, headers);
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

  /**
   * A request whose answer is read as a stream (server-sent events, JSON lines); an error
   * status is thrown like `request` does.
   */
  async stream(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const response = await this.#fetch(method, path, body, signal);
    if (response.ok) return response;
    const text = await response.text();
    let error: { code?: string; message?: string } | undefined;
    try {
      error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    } catch {
      // Not a JSON error body: the status line says what went wrong.
      error = undefined;
    }
    throw new KernelError(
      error?.code ?? KernelErrorCode.cliRequestFailed,
      error?.message ?? `${response.status} ${response.statusText}`,
      {
        details: { status: response.status },
      },
    );
  }

  #fetch(
    method: string,
    path: string,
    body: unknown,
    signal?: AbortSignal,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal === undefined ? {} : { signal }),
    });
  }
}

/** The server-sent events of a response body, as `{event, data}` (data lines joined). */
export async function* serverSentEvents(response: Response): AsyncGenerator<{ event: string; data: string }> {
  const body = response.body;
  if (body === null) return;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length > 0) yield { event, data: data.join("\n") };
    }
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
