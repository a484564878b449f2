/**
 * The kernel's A2A server as a fetch-style handler: the agent card, JSON-RPC and SSE streaming,
 * relaying each A2A task to the kernel through `A2aKernelPort`. The card is validated when the
 * server is made; the SDK is loaded at the first request (`a2a-sdk.ts`), so a kernel nobody
 * talks A2A to never loads it.
 */

import type { Part } from "@a2a-js/sdk";
import type { AgentExecutor, ExecutionEventBus, RequestContext } from "@a2a-js/sdk/server";
import { CoreErrorCode, createConsoleLogger, KernelError, type Logger, loadOnce } from "@oxios/core";
import { A2aErrorCode } from "../error-codes.ts";
import { type A2aServerSdk, loadA2aServerSdk } from "./a2a-sdk.ts";
import { type AgentCardJson, buildKernelAgentCard, type KernelAgentCardInput, toSdkAgentCard } from "./agent-card.ts";
import { type A2aKernelPort, type A2aKernelTaskUpdate, TERMINAL_KERNEL_STATES } from "./kernel-port.ts";
import { dataPart, readParts, sdkMessage, sdkStateOf, textPart } from "./sdk-mapping.ts";

export const AGENT_CARD_PATH = "/.well-known/agent-card.json";

export interface A2aServerOptions {
  card: KernelAgentCardInput;
  kernel: A2aKernelPort;
  logger?: Logger;
  /** Path of the JSON-RPC endpoint. Default `/a2a`. */
  rpcPath?: string;
}

export interface A2aServer {
  /**
   * Handles one HTTP request; unknown paths get 404. The first request to the card or the
   * JSON-RPC path loads the SDK; when it cannot be loaded the request rejects with
   * `A2A_SDK_UNAVAILABLE`, and the next one tries again.
   */
  fetch(request: Request): Promise<Response>;
  /** The served card, as validated. */
  readonly card: AgentCardJson;
  /** Cancels every run still streaming and waits for their relays to end. */
  close(): Promise<void>;
}

interface Run {
  abort: AbortController;
  kernelTaskId?: string;
  cancelRequested: boolean;
}

/** Turns A2A tasks into kernel tasks and relays the kernel's updates back as A2A events. */
class KernelAgentExecutor implements AgentExecutor {
  readonly #sdk: A2aServerSdk;
  readonly #kernel: A2aKernelPort;
  readonly #logger: Logger;
  readonly runs = new Map<string, Run>();
  readonly relays = new Set<Promise<void>>();

  constructor(sdk: A2aServerSdk, kernel: A2aKernelPort, logger: Logger) {
    this.#sdk = sdk;
    this.#kernel = kernel;
    this.#logger = logger;
  }

  execute = (context: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const relay = this.#relay(context, bus);
    this.relays.add(relay);
    return relay.finally(() => this.relays.delete(relay));
  };

  async #relay(context: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { Role, TaskState } = this.#sdk.sdk;
    const { AgentEvent } = this.#sdk.server;
    const { taskId, contextId } = context;
    const message = context.userMessage;
    const { text = "", data } = readParts(message.parts);
    const priority = message.metadata?.priority ?? context.request.metadata?.priority;
    const run: Run = { abort: new AbortController(), cancelRequested: false };
    this.runs.set(taskId, run);
    const status = (update: A2aKernelTaskUpdate): void => {
      const parts: Part[] = [];
      if (update.message !== undefined) parts.push(textPart(update.message));
      if (update.output !== undefined) {
        parts.push(dataPart(update.output));
      }
      bus.publish(
        AgentEvent.statusUpdate({
          taskId,
          contextId,
          status: {
            state: sdkStateOf(this.#sdk.sdk, update.state),
            message: parts.length === 0 ? undefined : sdkMessage(Role.ROLE_AGENT, parts, { taskId, contextId }),
            timestamp: new Date().toISOString(),
          },
          metadata: run.kernelTaskId === undefined ? undefined : { kernelTaskId: run.kernelTaskId },
        }),
      );
    };
    if (context.task === undefined) {
      bus.publish(
        AgentEvent.task({
          id: taskId,
          contextId,
          status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() },
          history: [message],
          artifacts: [],
          metadata: undefined,
        }),
      );
    }
    let terminal = false;
    try {
      const submitted = await this.#kernel.submit(
        {
          goal: text,
          ...(data === undefined ? {} : { payload: data }),
          ...(typeof priority === "string" ? { priority } : {}),
          contextId,
          a2aTaskId: taskId,
        },
        { signal: run.abort.signal },
      );
      run.kernelTaskId = submitted.taskId;
      if (run.cancelRequested) await this.#kernel.cancel(submitted.taskId, { signal: run.abort.signal });
      for await (const update of this.#kernel.events(submitted.taskId, { signal: run.abort.signal })) {
        status(update);
        if (TERMINAL_KERNEL_STATES.has(update.state)) {
          terminal = true;
          break;
        }
      }
      if (!terminal) {
        status({ state: "failed", message: "the kernel stopped reporting on the task before it finished" });
      }
    } catch (error) {
      const kernelError = KernelError.from(error, A2aErrorCode.kernelFailed);
      this.#logger.warn("A2A task relay failed", { taskId, error: kernelError.toJSON() });
      status(
        run.cancelRequested
          ? { state: "cancelled", message: "cancelled" }
          : { state: "failed", message: `${kernelError.code}: ${kernelError.message}` },
      );
    } finally {
      this.runs.delete(taskId);
      bus.finished();
    }
  }

  cancelTask = async (taskId: string, _bus: ExecutionEventBus): Promise<void> => {
    const run = this.runs.get(taskId);
    if (run === undefined) return;
    run.cancelRequested = true;
    // Before the kernel accepted the task there is nothing to cancel yet; the relay cancels
    // it as soon as `submit` resolves. Afterwards the kernel's `cancelled` update ends it.
    if (run.kernelTaskId !== undefined) await this.#kernel.cancel(run.kernelTaskId);
  };
}

function sseResponse(
  { JsonRpcTransportHandler }: A2aServerSdk["server"],
  stream: AsyncGenerator<unknown>,
  requestId: unknown,
  logger: Logger,
): Response {
  const encoder = new TextEncoder();
  // Set by `cancel`: a pull still waiting on the generator then finds a closed controller.
  let callerLeft = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await stream.next();
        if (callerLeft) {
          logger.debug("A2A stream event dropped: its caller left", { done: next.done === true });
          return;
        }
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(`data: ${JSON.stringify(next.value)}\n\n`));
      } catch (error) {
        if (callerLeft) {
          logger.debug("A2A stream failed after its caller left", { error: KernelError.from(error).toJSON() });
          return;
        }
        logger.warn("A2A stream failed", { error: KernelError.from(error).toJSON() });
        const mapped = JsonRpcTransportHandler.mapToJSONRPCError(error);
        controller.enqueue(
          encoder.encode(`event: error\ndata: ${JSON.stringify({ jsonrpc: "2.0", id: requestId, error: mapped })}\n\n`),
        );
        controller.close();
      }
    },
    async cancel() {
      // The caller went away; ending the generator detaches it from the task, which keeps running.
      callerLeft = true;
      await stream.return(undefined);
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no" },
  });
}

function headersOf(request: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key] = value;
  });
  return headers;
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json", ...headers } });
}

/** What the server builds once the SDK is loaded. */
interface Loaded {
  sdk: A2aServerSdk;
  transport: InstanceType<A2aServerSdk["server"]["JsonRpcTransportHandler"]>;
  card: ReturnType<typeof toSdkAgentCard>;
  cardBody: string;
}

export function createA2aServer(options: A2aServerOptions): A2aServer {
  const logger = options.logger ?? createConsoleLogger({ level: "warn" });
  const rpcPath = options.rpcPath ?? "/a2a";
  const card = buildKernelAgentCard(options.card);
  /** Made with the SDK; until then no task runs, so `close` has nothing to cancel. */
  let executor: KernelAgentExecutor | undefined;
  const loaded = loadOnce(
    async (): Promise<Loaded> => {
      const sdk = await loadA2aServerSdk();
      const { DefaultRequestHandler, InMemoryTaskStore, JsonRpcTransportHandler } = sdk.server;
      const sdkCard = toSdkAgentCard(sdk.sdk, card);
      executor = new KernelAgentExecutor(sdk, options.kernel, logger);
      const requestHandler = new DefaultRequestHandler(sdkCard, new InMemoryTaskStore(), executor);
      return {
        sdk,
        transport: new JsonRpcTransportHandler(requestHandler),
        card: sdkCard,
        cardBody: JSON.stringify(sdk.sdk.AgentCard.toJSON(sdkCard)),
      };
    },
    (cause) => KernelError.from(cause, A2aErrorCode.sdkUnavailable),
  );

  async function rpc(request: Request): Promise<Response> {
    const { sdk, transport, card: sdkCard } = await loaded();
    const { Extensions } = sdk.sdk;
    const { defaultServerCallContextBuilder, JsonRpcTransportHandler, UnauthenticatedUser, validateVersion } =
      sdk.server;
    let body: unknown;
    try {
      body = await request.json();
    } catch (error) {
      logger.debug("A2A request body is not JSON", { error: String(error) });
      return json(200, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "request body is not JSON" } });
    }
    const requestId = (body as { id?: unknown } | null)?.id ?? null;
    try {
      const context = defaultServerCallContextBuilder({
        extensions: Extensions.parseServiceParameter(request.headers.get("a2a-extensions") ?? undefined),
        user: new UnauthenticatedUser(),
        headers: headersOf(request),
        requestedVersion: request.headers.get("a2a-version") ?? undefined,
      });
      validateVersion(context.requestedVersion, sdkCard, "JSONRPC");
      const result = await transport.handle(body as Record<string, unknown>, context);
      if (typeof (result as AsyncGenerator)?.[Symbol.asyncIterator] === "function") {
        return sseResponse(sdk.server, result as AsyncGenerator<unknown>, requestId, logger);
      }
      return json(200, result);
    } catch (error) {
      logger.warn("A2A request failed", { error: KernelError.from(error).toJSON() });
      return json(200, { jsonrpc: "2.0", id: requestId, error: JsonRpcTransportHandler.mapToJSONRPCError(error) });
    }
  }

  return {
    card,
    async fetch(request: Request): Promise<Response> {
      const path = new URL(request.url).pathname;
      if (path === AGENT_CARD_PATH) {
        if (request.method !== "GET" && request.method !== "HEAD")
          return json(405, { error: "use GET" }, { allow: "GET" });
        const { cardBody } = await loaded();
        return new Response(cardBody, {
          status: 200,
          headers: { "content-type": "application/json", "cache-control": "no-cache" },
        });
      }
      if (path === rpcPath) {
        if (request.method !== "POST") return json(405, { error: "use POST" }, { allow: "POST" });
        return rpc(request);
      }
      return json(404, { error: `nothing at ${path}` });
    },
    async close(): Promise<void> {
      if (executor === undefined) return;
      for (const run of executor.runs.values()) {
        run.cancelRequested = true;
        run.abort.abort(new KernelError(CoreErrorCode.aborted, "the A2A server is closing"));
      }
      await Promise.allSettled([...executor.relays]);
    },
  };
}
