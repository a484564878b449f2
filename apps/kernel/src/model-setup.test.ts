import { describe, expect, it } from "vitest";
import { describeModel, modelBaseUrl, modelSetupProblem } from "./model-setup.ts";

describe("model setup", () => {
  it("a keyed provider without a key is one sentence naming both variables and another way", () => {
    const problem = modelSetupProblem({ model: "openai/gpt-4o-mini", llmApiKey: undefined, llmBaseUrl: undefined });
    expect(`${problem?.cause}: ${problem?.fix}`).toBe(
      'the model openai/gpt-4o-mini needs an API key: set OXIOS_LLM_API_KEY or OPENAI_API_KEY (or choose another model with OXIOS_MODEL, such as "ollama/llama3.2" or "demo")',
    );
    expect(
      modelSetupProblem({ model: "anthropic/claude-haiku-4-5", llmApiKey: undefined, llmBaseUrl: undefined })?.fix,
    ).toContain("OXIOS_LLM_API_KEY or ANTHROPIC_API_KEY");
  });

  it("an OpenAI-compatible model needs its server's URL; Ollama, demo and keyed models with keys need nothing", () => {
    expect(
      modelSetupProblem({ model: "openai-compatible/qwen", llmApiKey: undefined, llmBaseUrl: undefined })?.fix,
    ).toContain("set OXIOS_LLM_BASE_URL");
    for (const model of ["ollama/llama3.2", "demo", "openai-compatible/qwen"])
      expect(
        modelSetupProblem({ model, llmApiKey: undefined, llmBaseUrl: "http://127.0.0.1:8000/v1" }),
      ).toBeUndefined();
    expect(modelSetupProblem({ model: "openai/gpt-4o", llmApiKey: "k", llmBaseUrl: undefined })).toBeUndefined();
  });

  it("knows each provider's base URL and the boot line says where the key came from", () => {
    expect(modelBaseUrl({ model: "ollama/llama3.2", llmBaseUrl: undefined })).toBe("http://127.0.0.1:11434/v1");
    expect(modelBaseUrl({ model: "anthropic/x", llmBaseUrl: undefined })).toBe("https://api.anthropic.com/v1");
    expect(modelBaseUrl({ model: "openai/x", llmBaseUrl: "http://proxy/v1/" })).toBe("http://proxy/v1");
    expect(
      describeModel({
        model: "openai/gpt-4o-mini",
        modelSource: "the default with OPENAI_API_KEY",
        llmApiKeySource: "OPENAI_API_KEY",
        llmBaseUrl: undefined,
      }),
    ).toBe(
      "openai/gpt-4o-mini (the default with OPENAI_API_KEY; key from OPENAI_API_KEY; at https://api.openai.com/v1)",
    );
  });
});
