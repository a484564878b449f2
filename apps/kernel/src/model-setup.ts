/**
 * What the configuration says about the model, in words a person acts on: whether the model
 * can be used at all (a keyed provider without a key, an OpenAI-compatible model without a
 * server URL), where its server is, and the one line boot prints about it. Loaded by the thin
 * CLI (`oxios start` refuses early), so it imports nothing but the configuration.
 */

import { DEFAULT_OLLAMA_URL, type KernelConfig, PROVIDER_KEY_VARIABLES } from "./config.ts";

/** The provider part of a model spec (`demo` for the demo model). */
export function modelProvider(model: string): string {
  return model === "demo" || model.startsWith("demo/") ? "demo" : (model.split("/")[0] as string);
}

/** The model id part of a model spec (`gpt-4o-mini` of `openai/gpt-4o-mini`). */
export function modelId(model: string): string {
  const slash = model.indexOf("/");
  return slash === -1 ? model : model.slice(slash + 1);
}

/** The base URL requests go to: `llm_base_url`, else the provider's own; undefined for demo. */
export function modelBaseUrl(config: Pick<KernelConfig, "model" | "llmBaseUrl">): string | undefined {
  if (config.llmBaseUrl !== undefined) return config.llmBaseUrl.replace(/\/$/, "");
  switch (modelProvider(config.model)) {
    case "openai":
      return "https://api.openai.com/v1";
    case "anthropic":
      return "https://api.anthropic.com/v1";
    case "ollama":
      return DEFAULT_OLLAMA_URL;
    default:
      return undefined;
  }
}

/** The variables that can carry the key of `provider`, in the order they are read. */
export function keyVariables(provider: string): string[] {
  const own = PROVIDER_KEY_VARIABLES[provider];
  return own === undefined ? ["OXIOS_LLM_API_KEY"] : ["OXIOS_LLM_API_KEY", own];
}

/** Why the configured model cannot be used and what to set; print it as `${cause}: ${fix}`. */
export interface ModelSetupProblem {
  cause: string;
  fix: string;
}

/**
 * What keeps the configured model from being used (a keyed provider without a key, an
 * OpenAI-compatible model without its server's URL); undefined when nothing is missing.
 * Whether the server answers is `oxios doctor`'s business.
 */
export function modelSetupProblem(
  config: Pick<KernelConfig, "model" | "llmApiKey" | "llmBaseUrl">,
): ModelSetupProblem | undefined {
  const provider = modelProvider(config.model);
  if ((provider === "openai" || provider === "anthropic") && config.llmApiKey === undefined) {
    return {
      cause: `the model ${config.model} needs an API key`,
      fix: `set ${keyVariables(provider).join(" or ")} (or choose another model with OXIOS_MODEL, such as "ollama/llama3.2" or "demo")`,
    };
  }
  if (provider === "openai-compatible" && config.llmBaseUrl === undefined) {
    return {
      cause: `the model ${config.model} needs its server's URL`,
      fix: "set OXIOS_LLM_BASE_URL, for example http://127.0.0.1:8000/v1",
    };
  }
  return undefined;
}

/** The boot line about the model: which one, why this one, and where its key came from. */
export function describeModel(
  config: Pick<KernelConfig, "model" | "modelSource" | "llmApiKeySource" | "llmBaseUrl">,
): string {
  if (modelProvider(config.model) === "demo") {
    return `${config.model} (${config.modelSource}: a scripted demo; set OXIOS_MODEL and a key for a real model, see \`oxios init\`)`;
  }
  const parts = [config.modelSource];
  if (config.llmApiKeySource !== undefined) parts.push(`key from ${config.llmApiKeySource}`);
  const base = modelBaseUrl(config);
  if (base !== undefined) parts.push(`at ${base}`);
  return `${config.model} (${parts.join("; ")})`;
}
