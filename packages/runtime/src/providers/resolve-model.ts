/**
 * Model resolution: turns a `provider/model` string into an AI SDK language model.
 *
 * Providers: `openai/…`, `anthropic/…`, `openai-compatible/…` (base URL from
 * `OXIOS_LLM_BASE_URL`), `ollama/…` (default http://127.0.0.1:11434/v1) and `demo`.
 * Keys come from `OXIOS_LLM_API_KEY` or the provider's usual variable. A keyed provider
 * without a key fails with `PROVIDER_KEY_MISSING` naming the variables it looked at; an
 * unknown provider or a malformed string fails with `PROVIDER_UNKNOWN`. Both are found when
 * the model is resolved; the provider's AI SDK package is imported at the model's first call
 * (`LazyLanguageModel`), so a process loads only the providers it calls.
 */

import type { LanguageModelV3 } from "@ai-sdk/provider";
import { KernelError } from "@oxios/core";
import { RuntimeErrorCode } from "../error-codes.ts";
import { DemoLanguageModel } from "./demo-model.ts";
import { createHttpFetch } from "./http-fetch.ts";
import { LazyLanguageModel } from "./lazy-model.ts";

export type ProviderName = "openai" | "anthropic" | "openai-compatible" | "ollama" | "demo";

export const DEFAULT_OLLAMA_BASE_URL = "http://127.0.0.1:11434/v1";

export interface ModelConfig {
  /** Environment to read keys and base URLs from (default: none — pass `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Overrides `OXIOS_LLM_API_KEY` and the provider variables. */
  apiKey?: string;
  /** Overrides `OXIOS_LLM_BASE_URL` (and the provider's default base URL). */
  baseUrl?: string;
  /** A fetch to use for HTTP (tests, proxies). Default: one `createHttpFetch()` shared by every model. */
  fetch?: typeof globalThis.fetch;
}

/** A resolved model and the provider it belongs to (the circuit breaker key). */
export interface ResolvedModel {
  provider: ProviderName;
  modelId: string;
  model: LanguageModelV3;
}

const keyVariables: Record<"openai" | "anthropic", string[]> = {
  openai: ["OXIOS_LLM_API_KEY", "OPENAI_API_KEY"],
  anthropic: ["OXIOS_LLM_API_KEY", "ANTHROPIC_API_KEY"],
};

/** Parses `provider/model`; `demo` alone is allowed. */
export function parseModelSpec(spec: string): { provider: ProviderName; modelId: string } {
  const trimmed = spec.trim();
  if (trimmed === "demo" || trimmed.startsWith("demo/")) {
    return { provider: "demo", modelId: trimmed.slice(5) || "demo" };
  }
  const slash = trimmed.indexOf("/");
  const provider = slash > 0 ? trimmed.slice(0, slash) : "";
  const modelId = slash > 0 ? trimmed.slice(slash + 1) : "";
  const known = ["openai", "anthropic", "openai-compatible", "ollama"];
  if (!known.includes(provider) || modelId.length === 0) {
    throw new KernelError(
      RuntimeErrorCode.providerUnknown,
      `unknown model "${spec}": expected provider/model with provider one of ${known.join(", ")}, or "demo"`,
      { details: { spec } },
    );
  }
  return { provider: provider as ProviderName, modelId };
}

export function resolveModel(spec: string, config: ModelConfig = {}): ResolvedModel {
  const { provider, modelId } = parseModelSpec(spec);
  const env = config.env ?? {};
  const baseUrl = config.baseUrl ?? nonEmpty(env.OXIOS_LLM_BASE_URL);
  const fetch = config.fetch ?? providerFetch();
  switch (provider) {
    case "demo":
      return { provider, modelId, model: new DemoLanguageModel(modelId) };
    case "openai": {
      const apiKey = requireKey(provider, config, env);
      const model = new LazyLanguageModel("openai.chat", modelId, async () => {
        const { createOpenAI } = await import("@ai-sdk/openai");
        return createOpenAI({ apiKey, ...(baseUrl ? { baseURL: baseUrl } : {}), fetch }).chat(modelId);
      });
      return { provider, modelId, model };
    }
    case "anthropic": {
      const apiKey = requireKey(provider, config, env);
      const model = new LazyLanguageModel("anthropic.messages", modelId, async () => {
        const { createAnthropic } = await import("@ai-sdk/anthropic");
        return createAnthropic({ apiKey, ...(baseUrl ? { baseURL: baseUrl } : {}), fetch })(modelId);
      });
      return { provider, modelId, model };
    }
    case "openai-compatible": {
      if (baseUrl === undefined) {
        throw new KernelError(
          RuntimeErrorCode.providerBaseUrlMissing,
          `model "${spec}" needs a base URL: set OXIOS_LLM_BASE_URL (for example http://127.0.0.1:8000/v1)`,
          { details: { spec, variable: "OXIOS_LLM_BASE_URL" } },
        );
      }
      const apiKey = config.apiKey ?? nonEmpty(env.OXIOS_LLM_API_KEY);
      const model = new LazyLanguageModel("openai-compatible.chat", modelId, async () => {
        const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
        return createOpenAICompatible({
          name: "openai-compatible",
          baseURL: baseUrl,
          includeUsage: true,
          supportsStructuredOutputs: true,
          ...(apiKey ? { apiKey } : {}),
          fetch,
        }).chatModel(modelId);
      });
      return { provider, modelId, model };
    }
    case "ollama": {
      const baseURL = config.baseUrl ?? nonEmpty(env.OLLAMA_BASE_URL) ?? DEFAULT_OLLAMA_BASE_URL;
      const model = new LazyLanguageModel("ollama.chat", modelId, async () => {
        const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
        return createOpenAICompatible({ name: "ollama", baseURL, includeUsage: true, fetch }).chatModel(modelId);
      });
      return { provider, modelId, model };
    }
  }
}

let sharedFetch: typeof globalThis.fetch | undefined;

/** One keep-alive pool for every model this process resolves. */
function providerFetch(): typeof globalThis.fetch {
  sharedFetch ??= createHttpFetch();
  return sharedFetch;
}

function requireKey(
  provider: "openai" | "anthropic",
  config: ModelConfig,
  env: Readonly<Record<string, string | undefined>>,
): string {
  if (config.apiKey) return config.apiKey;
  for (const name of keyVariables[provider]) {
    const value = nonEmpty(env[name]);
    if (value !== undefined) return value;
  }
  const names = keyVariables[provider].join(" or ");
  throw new KernelError(RuntimeErrorCode.providerKeyMissing, `provider "${provider}" needs an API key: set ${names}`, {
    details: { provider, variables: keyVariables[provider] },
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim().length > 0 ? value.trim() : undefined;
}
