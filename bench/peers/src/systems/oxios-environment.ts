/**
 * The kernel configuration both Oxios systems run with: the fake model, rate limits out of the
 * way, and a concurrency cap of 256 (the burst goal; the peers have no cap at all) unless
 * `OXIOS_MAX_CONCURRENT` says otherwise.
 */
export function kernelEnvironment(baseUrl: string): Record<string, string> {
  return {
    OXIOS_MODEL: "openai-compatible/fake",
    OXIOS_LLM_BASE_URL: baseUrl,
    OXIOS_EMBEDDER: "hashing",
    OXIOS_RATE_PER_MIN: "1000000",
    OXIOS_HTTP_RATE_PER_MIN: "1000000",
    OXIOS_MAX_CONCURRENT: process.env.OXIOS_MAX_CONCURRENT ?? "256",
  };
}
