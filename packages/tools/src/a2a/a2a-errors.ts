/** The stable error codes of the A2A client and server. */

export const A2aErrorCode = {
  /** An agent card (local or fetched from a remote agent) failed validation. */
  cardInvalid: "A2A_AGENT_CARD_INVALID",
  /** No agent in the registry matches the name, URL or capability. */
  agentUnknown: "A2A_AGENT_UNKNOWN",
  /** The agent's circuit breaker is open after repeated failures; calls are refused until it half-opens. */
  circuitOpen: "A2A_CIRCUIT_OPEN",
  /** The remote agent could not be reached or answered with an error, after retries. */
  remoteFailed: "A2A_REMOTE_FAILED",
  /** The remote agent reported the delegated task failed or was rejected. */
  taskFailed: "A2A_TASK_FAILED",
  /** A URL is not http(s). */
  urlInvalid: "A2A_URL_INVALID",
} as const;
