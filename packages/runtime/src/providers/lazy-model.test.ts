import type { LanguageModelV3, LanguageModelV3CallOptions } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { DemoLanguageModel } from "./demo-model.ts";
import { LazyLanguageModel } from "./lazy-model.ts";

const call: LanguageModelV3CallOptions = {
  prompt: [{ role: "user", content: [{ type: "text", text: "hello" }] }],
};

describe("LazyLanguageModel", () => {
  it("imports the provider once, at the first call, shared by the calls that wait for it", async () => {
    let imports = 0;
    const model = new LazyLanguageModel("demo", "demo", async () => {
      imports++;
      return new DemoLanguageModel();
    });
    expect(imports).toBe(0);
    const [generated, streamed] = await Promise.all([model.doGenerate(call), model.doStream(call)]);
    expect(imports).toBe(1);
    expect(generated.content).toEqual((await new DemoLanguageModel().doGenerate(call)).content);
    expect(streamed.stream).toBeInstanceOf(ReadableStream);
    await streamed.stream.cancel();
    expect(await model.supportedUrls).toEqual({});
    expect(imports).toBe(1);
  });

  it("fails a call whose import fails with PROVIDER_MODULE_UNAVAILABLE, and imports again at the next", async () => {
    const missing = new Error("Cannot find package '@ai-sdk/anthropic'");
    const outcomes: Array<() => Promise<LanguageModelV3>> = [
      () => Promise.reject(missing),
      async () => new DemoLanguageModel(),
    ];
    let imports = 0;
    const model = new LazyLanguageModel("anthropic.messages", "claude-x", () =>
      (outcomes[imports++] as () => Promise<LanguageModelV3>)(),
    );
    await expect(model.doGenerate(call)).rejects.toMatchObject({
      code: "PROVIDER_MODULE_UNAVAILABLE",
      cause: missing,
      details: { provider: "anthropic.messages" },
    });
    const generated = await model.doGenerate(call);
    expect(generated.finishReason.unified).toBe("stop");
    expect(imports).toBe(2);
  });
});
