/**
 * One circuit breaker per model, keyed `provider/modelId` (the breaker itself is
 * `@oxios/core`'s): 5 consecutive failures open it for 30 s, then one probe; while open every
 * call to that model fails fast with `PROVIDER_CIRCUIT_OPEN` — and a profile's fallback model,
 * with a breaker of its own, takes the call. Upstream recorded failures but never refused a call.
 */

import { CircuitBreaker, type CircuitBreakerOptions } from "@oxios/core";
import { RuntimeErrorCode } from "./error-codes.ts";

export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from "@oxios/core";

export class CircuitBreakers {
  readonly #options: Omit<CircuitBreakerOptions, "name" | "openErrorCode">;
  readonly #breakers = new Map<string, CircuitBreaker>();

  constructor(options: Omit<CircuitBreakerOptions, "name" | "openErrorCode">) {
    this.#options = options;
  }

  /** The breaker named `key` (a model's `provider/modelId`), created on first use. */
  for(key: string): CircuitBreaker {
    let breaker = this.#breakers.get(key);
    if (breaker === undefined) {
      breaker = new CircuitBreaker({
        ...this.#options,
        name: key,
        openErrorCode: RuntimeErrorCode.providerCircuitOpen,
      });
      this.#breakers.set(key, breaker);
    }
    return breaker;
  }
}
