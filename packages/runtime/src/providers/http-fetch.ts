/**
 * The `fetch` the model providers call: the same contract as `globalThis.fetch` for what the
 * AI SDK sends (a string or `URL`, a string or byte body, plain headers, an `AbortSignal`),
 * carried by `node:http` / `node:https` over keep-alive connections instead of undici's
 * `fetch`. Node's `fetch` builds a web `Request`, tees its body, and pumps the response
 * through web streams: about 1 ms of CPU per model call on this project's machine, as much as
 * the rest of a run's own work. Here a JSON answer is read whole from the socket and handed
 * over as one buffer; an event stream (a streamed answer) is handed over as it arrives.
 *
 * What it keeps of `fetch`: a failed connection — or one silent for 5 minutes, undici's limit —
 * rejects with `TypeError("fetch failed")` whose `cause` is the socket error (what the AI SDK
 * reports as "Cannot connect to API"), except a kept-alive connection the server had already
 * closed, on which the call is sent again (Node's documented `reusedSocket` retry); an
 * aborted signal rejects with its `reason` and ends the request, or errors a body still being
 * streamed. What it leaves out: redirects are not followed (a 3xx is answered as it is, which
 * the providers treat as a failed call), and the response is not decompressed (none is asked
 * for: no `accept-encoding` is sent). Anything else — a `Request` object, a streamed or form
 * body, another scheme — goes to `globalThis.fetch` unchanged.
 */

import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";

/** Response bodies of these types are read whole before `fetch` resolves. */
const WHOLE_BODY = /^application\/(?:[\w.+-]+\+)?json\b/i;
/** Statuses whose responses have no body. */
const NO_BODY = new Set([204, 205, 304]);

export interface HttpFetchOptions {
  /** Idle keep-alive sockets kept per host. Default 256 (the kernel's highest concurrency cap). */
  maxFreeSockets?: number;
  /**
   * A call whose connection stays silent this long (waiting for the answer's headers, or
   * between two pieces of its body) fails with `fetch failed`, as undici's `headersTimeout`
   * and `bodyTimeout` do. Default 300,000 ms (theirs).
   */
  idleTimeoutMs?: number;
}

/** A `fetch` over `node:http` with keep-alive agents of its own (idle sockets do not keep the process alive). */
export function createHttpFetch(options: HttpFetchOptions = {}): typeof globalThis.fetch {
  const agentOptions = { keepAlive: true, maxFreeSockets: options.maxFreeSockets ?? 256 };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);
  const idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
  const httpFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : undefined;
    const body = init?.body;
    const secure = url?.startsWith("https:") === true;
    if (
      url === undefined ||
      !(secure || url.startsWith("http:")) ||
      !(body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array)
    ) {
      return globalThis.fetch(input, init);
    }
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    // Node sends the body whole, with its `content-length`, as `end(body)` is the only write.
    const headers = plainHeaders(init?.headers);
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      let outgoing: ClientRequest | undefined;
      let received: IncomingMessage | undefined;
      const onAbort = () => {
        // A body still arriving fails with the abort's reason, as `fetch`'s does.
        received?.destroy(signal?.reason);
        outgoing?.destroy(signal?.reason);
        if (!settled) {
          settled = true;
          reject(signal?.reason);
        }
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const fail = (error: Error) => {
        signal?.removeEventListener("abort", onAbort);
        if (settled) return;
        settled = true;
        reject(signal?.aborted ? signal.reason : new TypeError("fetch failed", { cause: error }));
      };
      const answer = (response: Response) => {
        settled = true;
        resolve(response);
      };
      const attempt = () => {
        const sent = (secure ? httpsRequest : httpRequest)(url, {
          method: init?.method ?? "GET",
          headers,
          agent: secure ? https : http,
        });
        outgoing = sent;
        sent.on("error", (error: NodeJS.ErrnoException) => {
          // A kept-alive connection the server had closed before the call reached it (its close
          // not yet read here, e.g. after this process's event loop was held up): nothing was
          // answered on it, so the call goes again, on a connection the pool opens or still has.
          const closedBeforeTheCall = error.code === "ECONNRESET" || error.code === "EPIPE";
          if (sent.reusedSocket && closedBeforeTheCall && received === undefined && !settled && !signal?.aborted) {
            attempt();
            return;
          }
          fail(error);
        });
        sent.setTimeout(idleTimeoutMs, () =>
          sent.destroy(new Error(`the connection was silent for ${idleTimeoutMs} ms`)),
        );
        sent.once("response", (incoming) => {
          if (settled) {
            incoming.destroy();
            return;
          }
          received = incoming;
          const { init, contentType } = responseInit(incoming);
          if (NO_BODY.has(init.status ?? 0) || sent.method === "HEAD") {
            incoming.resume();
            signal?.removeEventListener("abort", onAbort);
            answer(new Response(null, init));
            return;
          }
          if (!WHOLE_BODY.test(contentType)) {
            // Streamed as it arrives; an abort destroys the response with its reason, which errors the stream.
            incoming.once("close", () => signal?.removeEventListener("abort", onAbort));
            answer(new Response(Readable.toWeb(incoming) as ReadableStream<Uint8Array>, init));
            return;
          }
          const chunks: Buffer[] = [];
          incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
          incoming.on("error", fail);
          incoming.once("end", () => {
            signal?.removeEventListener("abort", onAbort);
            if (settled) return;
            const whole = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
            // A Buffer's memory is a plain ArrayBuffer (never shared), which is what a body takes.
            answer(new Response(whole as Uint8Array<ArrayBuffer>, init));
          });
        });
        sent.end(body ?? undefined);
      };
      attempt();
    });
  };
  return httpFetch as typeof globalThis.fetch;
}

/** The request headers as one plain object (the AI SDK passes one already). */
function plainHeaders(headers: HeadersInit | undefined): OutgoingHttpHeaders {
  if (headers === undefined) return {};
  if (headers instanceof Headers) {
    const plain: OutgoingHttpHeaders = {};
    headers.forEach((value, name) => {
      plain[name] = value;
    });
    return plain;
  }
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return { ...headers };
}

/**
 * The response's status and headers, read from `rawHeaders` (`incoming.headers` would build a
 * second copy), with its content type.
 */
function responseInit(incoming: IncomingMessage): { init: ResponseInit; contentType: string } {
  const headers = new Headers();
  let contentType = "";
  const raw = incoming.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index] as string;
    const value = raw[index + 1] as string;
    headers.append(name, value);
    if (name.length === 12 && name.toLowerCase() === "content-type") contentType = value;
  }
  return {
    init: { status: incoming.statusCode ?? 0, statusText: incoming.statusMessage ?? "", headers },
    contentType,
  };
}
