/**
 * One structured-output model call (JSON matching a zod schema) through the provider's
 * circuit breaker and retry policy. The interview, the seed writer and the evaluator's judge
 * all use it.
 */

import type { Clock } from "@oxios/core";
import { generateText, Output } from "ai";
import type { z } from "zod";
import { modelSpec } from "./agent-profile.ts";
import type { CircuitBreakers } from "./circuit-breaker.ts";
import { callProvider, type RetryPolicy } from "./provider-call.ts";
import type { ResolvedModel } from "./providers/resolve-model.ts";

export interface StructuredCallOptions {
  model: ResolvedModel;
  clock: Clock;
  breakers: CircuitBreakers;
  retry?: RetryPolicy;
  signal?: AbortSignal;
}

export async function structuredCall<T>(
  options: StructuredCallOptions,
  schema: z.ZodType<T>,
  system: string,
  prompt: string,
): Promise<T> {
  const { provider } = options.model;
  return callProvider(
    async () => {
      const result = await generateText({
        model: options.model.model,
        system,
        prompt,
        temperature: 0,
        maxRetries: 0,
        output: Output.object({ schema }),
        ...(options.signal ? { abortSignal: options.signal } : {}),
      });
      return result.output as T;
    },
    {
      provider,
      breaker: options.breakers.for(modelSpec(options.model)),
      clock: options.clock,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
}
