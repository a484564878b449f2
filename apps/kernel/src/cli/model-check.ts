/**
 * `oxios doctor`'s model check: asks the model server for its model list (`GET <base>/models`,
 * which costs no tokens) and turns each way that can fail into its cause and its fix — no key,
 * a server that cannot be reached, a key it refuses, a base URL that is not an API, a model
 * it does not offer.
 */

import type { KernelConfig } from "../config.ts";
import { keyVariables, modelBaseUrl, modelId, modelProvider, modelSetupProblem } from "../model-setup.ts";

export interface ModelCheck {
  ok: boolean;
  /** What was found. */
  detail: string;
  /** What to do about it, when it failed. */
  fix?: string;
}

export interface ModelCheckOptions {
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

type ModelConfig = Pick<KernelConfig, "model" | "llmApiKey" | "llmApiKeySource" | "llmBaseUrl">;

function authHeaders(config: ModelConfig): Record<string, string> {
  if (config.llmApiKey === undefined) return {};
  return modelProvider(config.model) === "anthropic"
    ? { "x-api-key": config.llmApiKey, "anthropic-version": "2023-06-01" }
    : { authorization: `Bearer ${config.llmApiKey}` };
}

/** The network error's own code (`ECONNREFUSED`, `ENOTFOUND`, …) under fetch's `TypeError: fetch failed`. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("E")) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function unreachableFix(config: ModelConfig): string {
  switch (modelProvider(config.model)) {
    case "ollama":
      return config.llmBaseUrl === undefined
        ? "start Ollama (`ollama serve`), or set OXIOS_LLM_BASE_URL to where it runs (http://HOST:11434/v1)"
        : "start Ollama there (`ollama serve`), or fix OXIOS_LLM_BASE_URL";
    case "openai-compatible":
      return "start the server, or fix OXIOS_LLM_BASE_URL (the API's base URL, usually ending in /v1)";
    default:
      return config.llmBaseUrl === undefined
        ? "check this machine's network connection and proxy"
        : "fix OXIOS_LLM_BASE_URL, or unset it to use the provider's own URL";
  }
}

/** Whether a listed id names the configured model (`llama3.2` is `llama3.2:latest`; an alias its dated ids). */
function offers(ids: string[], wanted: string): boolean {
  return ids.some((id) => id === wanted || id.startsWith(`${wanted}:`) || id.startsWith(`${wanted}-`));
}

export async function checkModel(config: ModelConfig, options: ModelCheckOptions = {}): Promise<ModelCheck> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const provider = modelProvider(config.model);
  if (provider === "demo") {
    return {
      ok: true,
      detail: "demo (scripted and offline; set OXIOS_MODEL and a key for a real model, see `oxios init`)",
    };
  }
  const problem = modelSetupProblem(config);
  if (problem !== undefined) return { ok: false, detail: problem.cause, fix: problem.fix };
  const base = modelBaseUrl(config) as string;
  const wanted = modelId(config.model);
  const keyNote = config.llmApiKeySource === undefined ? "" : `, key from ${config.llmApiKeySource}`;
  let response: Response;
  try {
    response = await fetchImpl(`${base}/models`, {
      headers: authHeaders(config),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const code = networkCode(error);
    const name = (error as { name?: string }).name;
    const why =
      name === "TimeoutError"
        ? `no answer within ${timeoutMs / 1000} s`
        : code === "ECONNREFUSED"
          ? "connection refused"
          : code === "ENOTFOUND" || code === "EAI_AGAIN"
            ? "host not found"
            : (code ?? (error instanceof Error ? error.message : String(error)));
    return { ok: false, detail: `${config.model}: cannot reach ${base} (${why})`, fix: unreachableFix(config) };
  }
  if (response.status === 401 || response.status === 403) {
    const variables = config.llmApiKeySource ?? keyVariables(provider).join(" or ");
    return {
      ok: false,
      detail: `${config.model}: ${base} refused the API key (HTTP ${response.status})`,
      fix:
        config.llmApiKey === undefined
          ? `this server wants a key: set ${variables}`
          : `check the key in ${variables}: it must be a ${provider} key that is still valid`,
    };
  }
  if (response.status === 404) {
    return {
      ok: false,
      detail: `${config.model}: ${base}/models was not found (HTTP 404), so ${base} is not the API's base URL`,
      fix: "set OXIOS_LLM_BASE_URL to the API's base URL, which usually ends in /v1",
    };
  }
  if (!response.ok) {
    const body = (await response.text()).slice(0, 200).replace(/\s+/g, " ");
    return {
      ok: false,
      detail: `${config.model}: ${base}/models answered HTTP ${response.status}${body === "" ? "" : `: ${body}`}`,
      fix:
        response.status >= 500
          ? "the server has a problem: try again later"
          : "check OXIOS_MODEL and OXIOS_LLM_BASE_URL",
    };
  }
  let ids: string[] = [];
  try {
    const list = (await response.json()) as { data?: Array<{ id?: unknown }>; models?: Array<{ name?: unknown }> };
    ids = (list.data ?? []).map((entry) => entry.id).filter((id): id is string => typeof id === "string");
  } catch {
    return { ok: true, detail: `${config.model} at ${base}${keyNote} (the model list could not be read; not checked)` };
  }
  if (ids.length === 0)
    return { ok: true, detail: `${config.model} at ${base}${keyNote} (the server lists no models)` };
  if (!offers(ids, wanted)) {
    const shown = ids.slice(0, 8).join(", ") + (ids.length > 8 ? ", …" : "");
    return {
      ok: false,
      detail: `${config.model}: ${base} does not offer the model "${wanted}" (it offers ${shown})`,
      fix:
        provider === "ollama"
          ? `pull it with \`ollama pull ${wanted}\`, or choose one it has with OXIOS_MODEL=ollama/<name>`
          : `choose one it offers with OXIOS_MODEL=${provider}/<model>`,
    };
  }
  return { ok: true, detail: `${config.model} at ${base}${keyNote} (model listed)` };
}
