/**
 * FakeLlmServer: a scripted OpenAI-compatible HTTP server on 127.0.0.1 for tests.
 *
 * It answers `POST /v1/chat/completions`, streaming (SSE) or not, and `GET /v1/models` when
 * given a model list, with text, tool calls or
 * structured output taken from a script (a list consumed in order) or a responder function.
 * It can be slow (latency before the response, delay between stream chunks) and it can
 * fail (any HTTP status, a hang until the client gives up, malformed tool arguments).
 * It counts requests in flight and the most it ever saw at once, and notices when a client
 * closes its socket before the response ended — how tests prove an abort reached the wire.
 *
 * Latency uses real timers on purpose: the server is a network peer, not kernel code.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A tool call the fake model makes; `arguments` is sent verbatim when it is a string. */
export interface FakeToolCall {
  name: string;
  arguments: string | Record<string, unknown>;
  /** The call's id; default `call_<request index>_<position>`. */
  id?: string;
}

/** One scripted reply. Exactly one of text / toolCalls / json / error / hang applies. */
export type FakeReply =
  | { text: string; usage?: FakeUsage }
  | { toolCalls: FakeToolCall[]; text?: string; usage?: FakeUsage }
  | { json: unknown; usage?: FakeUsage }
  | { error: { status: number; message?: string; retryAfterSeconds?: number } }
  | { hang: true };

export interface FakeUsage {
  promptTokens: number;
  completionTokens: number;
}

/** What the responder sees of a request. */
export interface FakeRequest {
  /** 1-based index of the request over the server's life. */
  index: number;
  body: ChatCompletionBody;
  stream: boolean;
  headers: IncomingMessage["headers"];
}

export interface ChatCompletionBody {
  model?: string;
  stream?: boolean;
  messages?: Array<{ role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string }>;
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
  response_format?: { type: string; json_schema?: { name?: string; schema?: unknown } };
  [key: string]: unknown;
}

export type FakeResponder = (request: FakeRequest) => FakeReply | Promise<FakeReply>;

export interface FakeLlmServerOptions {
  /** Replies consumed in order, or a function choosing each reply. Default: echo text. */
  script?: FakeReply[] | FakeResponder;
  /** Delay before the response starts, in ms (real time). */
  latencyMs?: number;
  /** Delay between streamed chunks, in ms (real time). */
  chunkDelayMs?: number;
  /** Text is streamed in pieces of this many characters. Default 8. */
  chunkSize?: number;
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  /**
   * When set, `GET /v1/models` lists these model ids (OpenAI's list format), as a real server's
   * model list; otherwise that route is 404 like any other.
   */
  models?: string[];
  /**
   * How long an idle keep-alive connection stays open, in ms. Default Node's 5,000. A client
   * that reuses a connection just as the server closes it fails with "other side closed"; a
   * benchmark whose clients sit idle for seconds between phases on a busy machine sets it high.
   */
  keepAliveTimeoutMs?: number;
}

interface Exchange {
  closed: boolean;
  finished: boolean;
}

export class FakeLlmServer {
  readonly #options: FakeLlmServerOptions;
  readonly #server: Server;
  #script: FakeReply[] | FakeResponder;
  #requestCount = 0;
  #inFlight = 0;
  #maxInFlight = 0;
  #aborted = 0;
  #waiters: Array<{ count: number; resolve: () => void }> = [];
  readonly requests: FakeRequest[] = [];

  private constructor(options: FakeLlmServerOptions) {
    this.#options = options;
    this.#script = options.script ?? ((request) => ({ text: `echo: ${lastUserText(request.body)}` }));
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        // A handler failure is the test's problem to see: answer 500 with the reason.
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: String(error) } }));
      });
    });
    if (options.keepAliveTimeoutMs !== undefined) this.#server.keepAliveTimeout = options.keepAliveTimeoutMs;
  }

  /** Starts a server on 127.0.0.1 on a free port. */
  static async start(options: FakeLlmServerOptions = {}): Promise<FakeLlmServer> {
    const fake = new FakeLlmServer(options);
    await new Promise<void>((resolve, reject) => {
      fake.#server.once("error", reject);
      fake.#server.listen(0, "127.0.0.1", () => resolve());
    });
    return fake;
  }

  /** Base URL ending in `/v1`, as OpenAI-compatible clients expect. */
  get baseUrl(): string {
    const address = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}/v1`;
  }

  /** Requests whose response has not ended yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The most requests ever in flight at once. */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  /** Requests whose client closed the connection before the response ended. */
  get abortedRequests(): number {
    return this.#aborted;
  }

  get requestCount(): number {
    return this.#requestCount;
  }

  /** Replaces the script; remaining scripted replies are dropped. */
  setScript(script: FakeReply[] | FakeResponder): void {
    this.#script = script;
  }

  resetCounters(): void {
    this.#maxInFlight = this.#inFlight;
    this.#aborted = 0;
  }

  /** Resolves once `count` requests have arrived in total. */
  waitForRequests(count: number): Promise<void> {
    if (this.#requestCount >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.#server.close((error) => (error ? reject(error) : resolve())));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const exchange: Exchange = { closed: false, finished: false };
    this.#inFlight++;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
    res.on("close", () => {
      this.#inFlight--;
      if (!exchange.finished) {
        exchange.closed = true;
        this.#aborted++;
      }
    });

    const raw = await readBody(req);
    if (req.method === "GET" && req.url === "/v1/models" && this.#options.models !== undefined) {
      if (this.#options.apiKey !== undefined && req.headers.authorization !== `Bearer ${this.#options.apiKey}`) {
        this.#finish(exchange, res, 401, { error: { message: "invalid api key", type: "invalid_request_error" } });
        return;
      }
      const data = this.#options.models.map((id) => ({ id, object: "model", created: 0, owned_by: "fake" }));
      this.#finish(exchange, res, 200, { object: "list", data });
      return;
    }
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      this.#finish(exchange, res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      return;
    }
    if (this.#options.apiKey !== undefined && req.headers.authorization !== `Bearer ${this.#options.apiKey}`) {
      this.#countRequest();
      this.#finish(exchange, res, 401, { error: { message: "invalid api key", type: "invalid_request_error" } });
      return;
    }
    let body: ChatCompletionBody;
    try {
      body = JSON.parse(raw) as ChatCompletionBody;
    } catch (error) {
      this.#finish(exchange, res, 400, { error: { message: `invalid JSON body: ${String(error)}` } });
      return;
    }
    const request: FakeRequest = {
      index: this.#countRequest(),
      body,
      stream: body.stream === true,
      headers: req.headers,
    };
    this.requests.push(request);
    const reply = await this.#nextReply(request);

    if (this.#options.latencyMs) await delay(this.#options.latencyMs);
    if (exchange.closed) return;

    if ("hang" in reply) return; // never answers; the client's timeout or abort ends it
    if ("error" in reply) {
      const headers: Record<string, string> = {};
      if (reply.error.retryAfterSeconds !== undefined) headers["retry-after"] = String(reply.error.retryAfterSeconds);
      this.#finish(
        exchange,
        res,
        reply.error.status,
        { error: { message: reply.error.message ?? `fake error ${reply.error.status}`, type: "server_error" } },
        headers,
      );
      return;
    }
    const message = toMessage(reply, request.index);
    const usage = toUsage(reply, body);
    if (!request.stream) {
      this.#finish(exchange, res, 200, {
        id: `chatcmpl-${request.index}`,
        object: "chat.completion",
        created: 0,
        model: body.model ?? "fake",
        choices: [{ index: 0, message, finish_reason: message.tool_calls ? "tool_calls" : "stop" }],
        usage,
      });
      return;
    }
    await this.#stream(exchange, res, request, message, usage);
  }

  #countRequest(): number {
    this.#requestCount++;
    const ready = this.#waiters.filter((waiter) => waiter.count <= this.#requestCount);
    this.#waiters = this.#waiters.filter((waiter) => waiter.count > this.#requestCount);
    for (const waiter of ready) waiter.resolve();
    return this.#requestCount;
  }

  async #nextReply(request: FakeRequest): Promise<FakeReply> {
    const script = this.#script;
    if (typeof script === "function") return script(request);
    const next = script.shift();
    if (next === undefined) return { error: { status: 500, message: "fake script exhausted" } };
    return next;
  }

  #finish(
    exchange: Exchange,
    res: ServerResponse,
    status: number,
    payload: unknown,
    headers: Record<string, string> = {},
  ): void {
    exchange.finished = true;
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(payload));
  }

  async #stream(
    exchange: Exchange,
    res: ServerResponse,
    request: FakeRequest,
    message: WireMessage,
    usage: WireUsage,
  ): Promise<void> {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const id = `chatcmpl-${request.index}`;
    const model = request.body.model ?? "fake";
    const chunk = (delta: Record<string, unknown>, finishReason: string | null, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 0, model, choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`;
    const write = async (text: string): Promise<boolean> => {
      if (exchange.closed) return false;
      res.write(text);
      if (this.#options.chunkDelayMs) await delay(this.#options.chunkDelayMs);
      return !exchange.closed;
    };

    if (!(await write(chunk({ role: "assistant", content: "" }, null)))) return;
    const size = this.#options.chunkSize ?? 8;
    const content = message.content ?? "";
    for (let offset = 0; offset < content.length; offset += size) {
      if (!(await write(chunk({ content: content.slice(offset, offset + size) }, null)))) return;
    }
    for (const [index, call] of (message.tool_calls ?? []).entries()) {
      const head = { index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } };
      if (!(await write(chunk({ tool_calls: [head] }, null)))) return;
      if (!(await write(chunk({ tool_calls: [{ index, function: { arguments: call.function.arguments } }] }, null))))
        return;
    }
    const finishReason = message.tool_calls ? "tool_calls" : "stop";
    if (!(await write(chunk({}, finishReason)))) return;
    const includeUsage = (request.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
    if (
      includeUsage &&
      !(await write(
        `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 0, model, choices: [], usage })}\n\n`,
      ))
    )
      return;
    exchange.finished = true;
    res.end("data: [DONE]\n\n");
  }
}

interface WireMessage {
  role: "assistant";
  content: string | null;
  tool_calls?: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }>;
}

interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

function toMessage(reply: Exclude<FakeReply, { error: unknown } | { hang: true }>, requestIndex: number): WireMessage {
  if ("json" in reply) return { role: "assistant", content: JSON.stringify(reply.json) };
  if ("toolCalls" in reply) {
    return {
      role: "assistant",
      content: reply.text ?? null,
      tool_calls: reply.toolCalls.map((call, index) => ({
        id: call.id ?? `call_${requestIndex}_${index}`,
        type: "function",
        function: {
          name: call.name,
          arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
        },
      })),
    };
  }
  return { role: "assistant", content: reply.text };
}

function toUsage(reply: FakeReply, body: ChatCompletionBody): WireUsage {
  const given = "usage" in reply ? reply.usage : undefined;
  const prompt = given?.promptTokens ?? Math.ceil(JSON.stringify(body.messages ?? []).length / 4);
  const completion = given?.completionTokens ?? 10;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** The text of the last user message in a chat-completions body. */
export function lastUserText(body: ChatCompletionBody): string {
  const user = [...(body.messages ?? [])].reverse().find((message) => message.role === "user");
  if (user === undefined) return "";
  if (typeof user.content === "string") return user.content;
  if (Array.isArray(user.content)) {
    return user.content
      .map((part: { type?: string; text?: string }) => (part.type === "text" ? (part.text ?? "") : ""))
      .join("");
  }
  return "";
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
