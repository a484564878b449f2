/**
 * A provider's model whose AI SDK package is imported at the model's first call rather than
 * when the model is resolved: a kernel loads only the provider it calls, and none until its
 * first model call. Its `provider` and `modelId` are known up front (the same as the loaded
 * model's); `supportedUrls`, `doGenerate` and `doStream` wait for the import. A failed import
 * is `PROVIDER_MODULE_UNAVAILABLE`, and the next call imports again.
 */

import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamResult,
} from "@ai-sdk/provider";
import { KernelError, loadOnce } from "@oxios/core";
import { RuntimeErrorCode } from "../error-codes.ts";

export class LazyLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = "v3";
  readonly provider: string;
  readonly modelId: string;
  /** The provider's model, its package imported at the first call. */
  readonly load: () => Promise<LanguageModelV3>;

  constructor(provider: string, modelId: string, load: () => Promise<LanguageModelV3>) {
    this.provider = provider;
    this.modelId = modelId;
    this.load = loadOnce(
      load,
      (cause) =>
        new KernelError(
          RuntimeErrorCode.providerModuleUnavailable,
          `${provider}: the provider's package could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}`,
          { cause, details: { provider } },
        ),
    );
  }

  get supportedUrls(): PromiseLike<Record<string, RegExp[]>> {
    return this.load().then((model) => model.supportedUrls);
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    return (await this.load()).doGenerate(options);
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    return (await this.load()).doStream(options);
  }
}
