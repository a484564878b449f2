import { describe, expect, it } from "vitest";
import { LazyLanguageModel } from "./lazy-model.ts";
import { DEFAULT_OLLAMA_BASE_URL, parseModelSpec, resolveModel } from "./resolve-model.ts";

describe("resolveModel", () => {
  it("rejects unknown providers and malformed strings with PROVIDER_UNKNOWN", () => {
    for (const spec of ["gpt-4o", "mystery/model", "openai/", "/model", ""]) {
      expect(() => resolveModel(spec), spec).toThrowError(expect.objectContaining({ code: "PROVIDER_UNKNOWN" }));
    }
  });

  it("names the variable when a keyed provider has no key", () => {
    expect(() => resolveModel("openai/gpt-4o-mini", { env: {} })).toThrowError(
      expect.objectContaining({ code: "PROVIDER_KEY_MISSING", message: expect.stringContaining("OPENAI_API_KEY") }),
    );
    expect(() => resolveModel("anthropic/claude-sonnet-4-5", { env: { OXIOS_LLM_API_KEY: " " } })).toThrowError(
      expect.objectContaining({ code: "PROVIDER_KEY_MISSING", message: expect.stringContaining("ANTHROPIC_API_KEY") }),
    );
  });

  it("takes keys from OXIOS_LLM_API_KEY or the provider's variable", () => {
    expect(resolveModel("openai/gpt-4o-mini", { env: { OPENAI_API_KEY: "k" } }).model.provider).toContain("openai");
    expect(resolveModel("anthropic/claude-x", { env: { OXIOS_LLM_API_KEY: "k" } }).model.provider).toContain(
      "anthropic",
    );
  });

  it("needs a base URL for openai-compatible; ollama has a local default; demo needs nothing", () => {
    expect(() => resolveModel("openai-compatible/llama", { env: {} })).toThrowError(
      expect.objectContaining({
        code: "PROVIDER_BASE_URL_MISSING",
        message: expect.stringContaining("OXIOS_LLM_BASE_URL"),
      }),
    );
    const compatible = resolveModel("openai-compatible/llama", {
      env: { OXIOS_LLM_BASE_URL: "http://127.0.0.1:9/v1" },
    });
    expect(compatible).toMatchObject({ provider: "openai-compatible", modelId: "llama" });
    expect(resolveModel("ollama/qwen3:4b", { env: {} })).toMatchObject({ provider: "ollama", modelId: "qwen3:4b" });
    expect(DEFAULT_OLLAMA_BASE_URL).toBe("http://127.0.0.1:11434/v1");
    expect(resolveModel("demo")).toMatchObject({ provider: "demo", modelId: "demo" });
  });

  it("imports each provider at the model's first use, as the model its name and id promised", async () => {
    const config = { env: { OXIOS_LLM_API_KEY: "k", OXIOS_LLM_BASE_URL: "http://127.0.0.1:9/v1" } };
    for (const spec of ["openai/gpt-4o-mini", "anthropic/claude-x", "openai-compatible/llama", "ollama/qwen3:4b"]) {
      const lazy = resolveModel(spec, config).model;
      expect(lazy, spec).toBeInstanceOf(LazyLanguageModel);
      const loaded = await (lazy as LazyLanguageModel).load();
      expect(loaded, spec).not.toBeInstanceOf(LazyLanguageModel);
      expect({ spec, provider: lazy.provider, modelId: lazy.modelId }).toEqual({
        spec,
        provider: loaded.provider,
        modelId: loaded.modelId,
      });
      expect(await lazy.supportedUrls, spec).toEqual(await loaded.supportedUrls);
    }
  });

  it("keeps slashes inside the model id", () => {
    expect(parseModelSpec("openai-compatible/meta-llama/Llama-3-8B")).toEqual({
      provider: "openai-compatible",
      modelId: "meta-llama/Llama-3-8B",
    });
  });
});
