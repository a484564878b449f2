/**
 * The agents this kernel can talk to over A2A: a local registry of agent cards plus remote
 * agents added by URL (their card fetched and validated). Calls go through the SDK's own
 * client, behind a circuit breaker per agent (5 consecutive failures open it for 30 s, then
 * one half-open probe) and retries (3, backoff 100 ms·2ⁿ capped at 5 s) on the injected
 * Clock. Only failures of reaching the agent are retried; A2A protocol errors are not. The
 * registry, cards and queries need no SDK: its client side is loaded at the first call that
 * talks to an agent (`a2a-sdk.ts`).
 */

import type { Task } from "@a2a-js/sdk";
import type { Client, ClientFactory } from "@a2a-js/sdk/client";
import {
  abortError,
  CircuitBreaker,
  type CircuitState,
  type Clock,
  CoreErrorCode,
  createConsoleLogger,
  KernelError,
  type Logger,
  type RetryPolicy,
  systemClock,
  withRetry,
} from "@oxios/core";
import { A2aErrorCode } from "../error-codes.ts";
import { type A2aClientSdk, isA2aProtocolError, loadA2aClientSdk } from "./a2a-sdk.ts";
import { type AgentCardJson, toSdkAgentCard, validateAgentCard } from "./agent-card.ts";
import {
  type A2aTaskOutcome,
  clientFactoryWith,
  outcomeOf,
  readParts,
  streamedStatus,
  TERMINAL_OUTCOMES,
  userMessage,
} from "./sdk-mapping.ts";

export type { A2aTaskOutcome };

export interface A2aAgentsOptions {
  clock?: Clock;
  logger?: Logger;
  /** Cards of agents known without fetching (e.g. the kernel's own agents, or configured peers). */
  local?: readonly unknown[];
  breaker?: { failureThreshold?: number; openMs?: number };
  retry?: RetryPolicy;
  /** How long fetching a remote card may take. Default 10 s. */
  cardTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface A2aAgentSummary {
  name: string;
  description: string;
  url: string;
  source: "local" | "remote";
  skills: Array<{ id: string; name: string; description: string; tags: string[] }>;
  circuit: CircuitState;
}

export interface A2aStatusUpdate {
  state: A2aTaskOutcome;
  text?: string;
  data?: unknown;
}

export interface A2aDelegation {
  agent: string;
  taskId: string;
  contextId: string;
  state: A2aTaskOutcome;
  text?: string;
  output?: unknown;
  /** Every status the remote task went through, as streamed. */
  updates: A2aStatusUpdate[];
}

interface Entry {
  card: AgentCardJson;
  source: "local" | "remote";
  /** Where the card was fetched from (remote agents). */
  baseUrl?: string;
  /** Headers sent on every request to this agent (e.g. its `Authorization`). */
  headers?: Readonly<Record<string, string>>;
  breaker: CircuitBreaker;
  client?: Promise<Client>;
}

function httpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new KernelError(A2aErrorCode.urlInvalid, `not a URL: ${url}`, { cause: error });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new KernelError(A2aErrorCode.urlInvalid, `A2A agents are reached over http(s), not ${parsed.protocol}`);
  }
  return parsed;
}

/** Remote agents: 3 retries, backoff 100 ms·2ⁿ capped at 5 s. */
const A2A_RETRY_DEFAULTS: Required<RetryPolicy> = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 5_000 };

/** Errors worth another attempt: the agent could not be reached, not a protocol-level answer. */
function retryable(error: unknown): boolean {
  if (isA2aProtocolError(error)) return false;
  if (KernelError.isInstance(error)) return error.details?.retry === true;
  return true;
}

export class A2aAgents {
  readonly #entries = new Map<string, Entry>();
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #options: A2aAgentsOptions;
  /** The SDK's shared client factory, made with the SDK's client side. */
  #factory: ClientFactory | undefined;

  constructor(options: A2aAgentsOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? createConsoleLogger({ level: "warn" });
    for (const card of options.local ?? []) this.addLocal(card);
  }

  /** Adds a card to the local registry; an invalid one is `A2A_AGENT_CARD_INVALID`. */
  addLocal(card: unknown): AgentCardJson {
    const valid = validateAgentCard(card, "the local registry");
    this.#entries.set(valid.name, this.#entry(valid, "local"));
    return valid;
  }

  /**
   * Fetches, validates and adds the card of the agent at `url` (its base URL; the card is read
   * from `/.well-known/agent-card.json`). Goes through the agent's breaker and retries.
   */
  async addRemote(
    url: string,
    options: { signal?: AbortSignal; headers?: Readonly<Record<string, string>> } = {},
  ): Promise<AgentCardJson> {
    const base = httpUrl(url);
    const breaker = this.#breakerFor(base.href);
    const card = await this.#guarded(breaker, base.href, options.signal, async () => {
      const cardUrl = new URL("/.well-known/agent-card.json", base);
      const timeoutMs = this.#options.cardTimeoutMs ?? 10_000;
      const controller = new AbortController();
      const timer = this.#clock.setTimer(
        () =>
          controller.abort(
            new KernelError(CoreErrorCode.timedOut, `no agent card from ${cardUrl.href} within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      const onAbort = (): void => controller.abort(options.signal?.reason);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        const response = await (this.#options.fetch ?? fetch)(cardUrl, {
          headers: { accept: "application/json", "a2a-version": "1.0", ...options.headers },
          signal: controller.signal,
        });
        if (!response.ok) {
          const message = `agent card request to ${cardUrl.href} answered ${response.status}`;
          if (response.status >= 500) {
            throw new KernelError(A2aErrorCode.remoteFailed, message, {
              details: { status: response.status, retry: true },
            });
          }
          throw new KernelError(A2aErrorCode.cardInvalid, message, { details: { status: response.status } });
        }
        let json: unknown;
        try {
          json = await response.json();
        } catch (error) {
          throw new KernelError(A2aErrorCode.cardInvalid, `agent card at ${cardUrl.href} is not JSON`, {
            cause: error,
          });
        }
        return validateAgentCard(json, cardUrl.href);
      } catch (error) {
        if (controller.signal.aborted && !options.signal?.aborted) throw abortError(controller.signal);
        throw error;
      } finally {
        timer.cancel();
        options.signal?.removeEventListener("abort", onAbort);
      }
    });
    const entry = this.#entry(card, "remote", base.href);
    if (options.headers !== undefined) entry.headers = { ...options.headers };
    this.#entries.set(card.name, entry);
    return card;
  }

  /** Agents whose skills match; `capability` matches a skill id, name or tag, `skill` a skill id or name. */
  query(filter: { capability?: string; skill?: string; limit?: number } = {}): A2aAgentSummary[] {
    const matches: A2aAgentSummary[] = [];
    for (const entry of this.#entries.values()) {
      const skills = entry.card.skills.filter(
        (skill) =>
          (filter.capability === undefined || matchesCapability(skill, filter.capability)) &&
          (filter.skill === undefined || sameName(skill.id, filter.skill) || sameName(skill.name, filter.skill)),
      );
      if ((filter.capability !== undefined || filter.skill !== undefined) && skills.length === 0) continue;
      matches.push({
        name: entry.card.name,
        description: entry.card.description,
        url: entry.card.supportedInterfaces[0]?.url ?? "",
        source: entry.source,
        skills: skills.map(({ id, name, description, tags }) => ({ id, name, description, tags })),
        circuit: entry.breaker.state,
      });
      if (matches.length >= (filter.limit ?? 10)) break;
    }
    return matches;
  }

  /** The breaker state of an agent, for status pages and tests. */
  circuit(agent: string): CircuitState | undefined {
    return this.#entries.get(agent)?.breaker.state;
  }

  /**
   * Sends a message to `target` (an agent name, or the URL of a remote agent not yet known)
   * and returns its answer: the message it replied with, or the task's state.
   */
  async send(
    target: string,
    message: { type: string; content: string; taskId?: string; data?: unknown },
    options: { signal?: AbortSignal } = {},
  ): Promise<{
    agent: string;
    kind: "message" | "task";
    taskId?: string;
    state?: A2aTaskOutcome;
    text?: string;
    data?: unknown;
  }> {
    const entry = await this.#resolve(target, options.signal);
    const result = await this.#guarded(entry.breaker, entry.card.name, options.signal, async () => {
      const { sdk, client } = await this.#client(entry);
      const answer = await client.sendMessage(
        {
          tenant: "",
          message: userMessage(sdk.sdk, message.content, {
            data: message.data,
            taskId: message.taskId,
            metadata: { type: message.type },
          }),
          configuration: undefined,
          metadata: { type: message.type },
        },
        { signal: options.signal },
      );
      return { sdk, answer };
    });
    if ("messageId" in result.answer) {
      return { agent: entry.card.name, kind: "message", ...readParts(result.answer.parts) };
    }
    const task = result.answer as Task;
    return {
      agent: entry.card.name,
      kind: "task",
      taskId: task.id,
      state: outcomeOf(result.sdk.sdk, task.status?.state),
      ...readParts(task.status?.message?.parts),
    };
  }

  /**
   * Delegates a task to the first agent with a matching capability (or to `agent`), streams
   * its status updates to `onUpdate`, and resolves with the final state. Aborting `signal`
   * cancels the remote task.
   */
  async delegate(
    request: { description: string; capability: string; payload?: unknown; priority?: string; agent?: string },
    options: { signal?: AbortSignal; onUpdate?: (update: A2aStatusUpdate) => void } = {},
  ): Promise<A2aDelegation> {
    const entry =
      request.agent !== undefined
        ? await this.#resolve(request.agent, options.signal)
        : this.#byCapability(request.capability);
    const updates: A2aStatusUpdate[] = [];
    let taskId = "";
    let contextId = "";
    let last: A2aStatusUpdate = { state: "unknown" };
    const metadata = {
      capability: request.capability,
      ...(request.priority === undefined ? {} : { priority: request.priority }),
    };
    try {
      await this.#guarded(entry.breaker, entry.card.name, options.signal, async () => {
        // A stream that already delivered events is not retried: the task exists remotely.
        if (taskId !== "") throw new KernelError(A2aErrorCode.remoteFailed, `the stream of task ${taskId} broke`);
        const { sdk, client } = await this.#client(entry);
        const stream = client.sendMessageStream(
          {
            tenant: "",
            message: userMessage(sdk.sdk, request.description, { data: request.payload, metadata }),
            configuration: undefined,
            metadata,
          },
          { signal: options.signal },
        );
        for await (const event of stream) {
          const status = streamedStatus(sdk.sdk, event);
          if (status === undefined) continue;
          if (status.task !== undefined) {
            taskId = status.task.id;
            contextId = status.task.contextId;
          }
          last = { state: outcomeOf(sdk.sdk, status.state), ...readParts(status.parts) };
          updates.push(last);
          options.onUpdate?.(last);
          if (TERMINAL_OUTCOMES.has(last.state)) break;
        }
      });
    } catch (error) {
      if (options.signal?.aborted && taskId !== "") await this.#cancelRemote(entry, taskId);
      throw error;
    }
    const delegation: A2aDelegation = { agent: entry.card.name, taskId, contextId, state: last.state, updates };
    if (last.text !== undefined) delegation.text = last.text;
    if (last.data !== undefined) delegation.output = last.data;
    return delegation;
  }

  /** Cancels a task on a remote agent (`CancelTask`). */
  async cancel(agent: string, taskId: string, options: { signal?: AbortSignal } = {}): Promise<A2aTaskOutcome> {
    const entry = await this.#resolve(agent, options.signal);
    const { sdk, task } = await this.#guarded(entry.breaker, entry.card.name, options.signal, async () => {
      const { sdk, client } = await this.#client(entry);
      return {
        sdk,
        task: await client.cancelTask({ tenant: "", id: taskId, metadata: undefined }, { signal: options.signal }),
      };
    });
    return outcomeOf(sdk.sdk, task.status?.state);
  }

  async #cancelRemote(entry: Entry, taskId: string): Promise<void> {
    try {
      const { client } = await this.#client(entry);
      await client.cancelTask({ tenant: "", id: taskId, metadata: undefined });
      this.#logger.info("cancelled the delegated task after the call was aborted", { agent: entry.card.name, taskId });
    } catch (error) {
      this.#logger.warn("could not cancel the delegated task after the call was aborted", {
        agent: entry.card.name,
        taskId,
        error: KernelError.from(error).toJSON(),
      });
    }
  }

  #byCapability(capability: string): Entry {
    for (const entry of this.#entries.values()) {
      if (entry.card.skills.some((skill) => matchesCapability(skill, capability))) return entry;
    }
    throw new KernelError(A2aErrorCode.agentUnknown, `no known agent offers the capability ${capability}`);
  }

  async #resolve(target: string, signal: AbortSignal | undefined): Promise<Entry> {
    const named = this.#entries.get(target);
    if (named !== undefined) return named;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
      const base = httpUrl(target).href;
      const byUrl = [...this.#entries.values()].find(
        (entry) => entry.baseUrl === base || entry.card.supportedInterfaces.some((entry2) => entry2.url === target),
      );
      if (byUrl !== undefined) return byUrl;
      const card = await this.addRemote(target, signal === undefined ? {} : { signal });
      return this.#entries.get(card.name) as Entry;
    }
    throw new KernelError(A2aErrorCode.agentUnknown, `no agent named ${target}`);
  }

  #entry(card: AgentCardJson, source: "local" | "remote", baseUrl?: string): Entry {
    // Remote agents keep one breaker per URL, from the first card fetch on; local ones per name.
    const entry: Entry = { card, source, breaker: this.#breakerFor(baseUrl ?? `local:${card.name}`) };
    if (baseUrl !== undefined) entry.baseUrl = baseUrl;
    return entry;
  }

  #breakerFor(key: string): CircuitBreaker {
    let breaker = this.#breakers.get(key);
    if (breaker === undefined) {
      breaker = new CircuitBreaker({
        clock: this.#clock,
        ...this.#options.breaker,
        name: key,
        openErrorCode: A2aErrorCode.circuitOpen,
      });
      this.#breakers.set(key, breaker);
    }
    return breaker;
  }

  /** The SDK's client side and a client for `entry` (made once per agent; loading the SDK first). */
  async #client(entry: Entry): Promise<{ sdk: A2aClientSdk; client: Client }> {
    const sdk = await loadA2aClientSdk();
    entry.client ??= this.#factoryFor(sdk, entry)
      .createFromAgentCard(toSdkAgentCard(sdk.sdk, entry.card))
      .catch((error: unknown) => {
        entry.client = undefined;
        throw new KernelError(A2aErrorCode.cardInvalid, `no usable interface on the card of ${entry.card.name}`, {
          cause: error,
        });
      });
    return { sdk, client: await entry.client };
  }

  /** The SDK client factory for an agent: the shared one, or one whose requests carry the agent's headers. */
  #factoryFor(sdk: A2aClientSdk, entry: Entry): ClientFactory {
    if (entry.headers === undefined && this.#options.fetch === undefined) {
      this.#factory ??= new sdk.client.ClientFactory();
      return this.#factory;
    }
    return clientFactoryWith(sdk, this.#options.fetch ?? fetch, entry.headers);
  }

  /**
   * One logical call: attempts with retries, each through the agent's breaker. A failure to
   * reach the agent counts against its circuit; an A2A protocol error is an answer, so it
   * counts as reaching the agent; an abort gives no verdict.
   */
  async #guarded<T>(
    breaker: CircuitBreaker,
    agent: string,
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      return await withRetry(
        async () => {
          const outcome = await breaker.run<{ value: T } | { answer: unknown }>(
            async () => {
              try {
                return { value: await call() };
              } catch (error) {
                if (signal?.aborted) throw abortError(signal);
                if (retryable(error)) throw error;
                return { answer: error };
              }
            },
            () => signal?.aborted !== true,
          );
          if ("answer" in outcome) throw outcome.answer;
          return outcome.value;
        },
        {
          clock: this.#clock,
          defaults: A2A_RETRY_DEFAULTS,
          ...(this.#options.retry === undefined ? {} : { policy: this.#options.retry }),
          ...(signal === undefined ? {} : { signal }),
          shouldRetry: retryable,
        },
      );
    } catch (error) {
      if (KernelError.isInstance(error) || isA2aProtocolError(error)) throw error;
      throw new KernelError(
        A2aErrorCode.remoteFailed,
        `A2A call to ${agent} failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
          details: { agent },
        },
      );
    }
  }
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function matchesCapability(skill: { id: string; name: string; tags: string[] }, capability: string): boolean {
  return (
    sameName(skill.id, capability) ||
    sameName(skill.name, capability) ||
    skill.tags.some((tag) => sameName(tag, capability))
  );
}
