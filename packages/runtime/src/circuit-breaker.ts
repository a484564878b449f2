/**
 * One circuit breaker per provider (the breaker itself is `@oxios/core`'s): 5 consecutive
 * failures open it for 30 s, then one probe; while open every model call fails fast with
 * `PROVIDER_CIRCUIT_OPEN`. Upstream recorded failures but never refused a call.
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

  /** The provider's breaker, created on first use. */
  for(provider: string): CircuitBreaker {
    let breaker = this.#breakers.get(provider);
    if (breaker === undefined) {
      breaker = new CircuitBreaker({
        ...this.#options,
        name: provider,
        openErrorCode: RuntimeErrorCode.providerCircuitOpen,
      });
      this.#breakers.set(provider, breaker);
    }
    return breaker;
  }
}
