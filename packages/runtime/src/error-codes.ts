/**
 * The stable error codes @oxios/runtime throws (as `KernelError.code`): the runtime itself
 * (`RUNTIME_*`) and the model providers (`PROVIDER_*`). It also lets through the codes of the
 * packages it drives (`AGENT_*`, `SCHEDULER_*`, `TOOL_*`, …). Callers branch on these; messages
 * are for people and may change.
 */

import { defineErrorCodes } from "@oxios/core";

export const RuntimeErrorCode = defineErrorCodes("@oxios/runtime", {
  closed: {
    code: "RUNTIME_CLOSED",
    kind: "unavailable",
    description: "The runtime was closed; no new run is accepted.",
  },
  configInvalid: {
    code: "RUNTIME_CONFIG_INVALID",
    kind: "invalid",
    description: "A runtime option is out of range (`maxEvolutions`, …).",
  },
  messageEmpty: {
    code: "RUNTIME_MESSAGE_EMPTY",
    kind: "invalid",
    description: "A chat message, goal or agent prompt is empty or whitespace only.",
  },
  sessionInvalid: {
    code: "RUNTIME_SESSION_INVALID",
    kind: "invalid",
    description: "A session id is not 1–128 letters, digits, `_` or `-`.",
  },
  sessionCorrupt: {
    code: "RUNTIME_SESSION_CORRUPT",
    kind: "internal",
    description: "A stored interview session cannot be read.",
  },
  runFailed: {
    code: "RUNTIME_RUN_FAILED",
    kind: "internal",
    description: "A run failed with something that was not a KernelError.",
  },
  runNotResumable: {
    code: "RUN_NOT_RESUMABLE",
    kind: "conflict",
    description: "A run to resume has no unfinished record in the journal (a chat run, or one already ended).",
  },
  journalFailed: {
    code: "RUN_JOURNAL_FAILED",
    kind: "unavailable",
    description: "The run journal could not record or read a run; the store's coded error is the cause.",
  },
  journalUnavailable: {
    code: "RUN_JOURNAL_UNAVAILABLE",
    kind: "unavailable",
    description:
      "The run journal's database does not take writes for a while — a served database cannot be reached, its disk is full (`DATABASE_FULL`) or another connection held its write lock past the busy timeout (`DATABASE_BUSY`); the database's error is the cause. The write is not stored: a running run stops without recording an end and continues from its journal (at the kernel's next start, or in a cluster on the node that takes it).",
  },
  journalClosed: {
    code: "RUN_JOURNAL_CLOSED",
    kind: "unavailable",
    description: "The run journal is closed (the kernel is shutting down).",
  },
  toolOutcomeUnknown: {
    code: "TOOL_OUTCOME_UNKNOWN",
    kind: "unavailable",
    description:
      "A tool call was running when the process stopped and its tool is not idempotent: it is not repeated, and its outcome is unknown.",
  },
  budgetInvalid: {
    code: "RUNTIME_BUDGET_INVALID",
    kind: "invalid",
    description: "A token budget that is negative or not a number.",
  },
  budgetExceeded: {
    code: "RUNTIME_BUDGET_EXCEEDED",
    kind: "rate-limited",
    description: "The agent has used its token budget; no further model call is made. `details` has the usage.",
  },
  providerUnknown: {
    code: "PROVIDER_UNKNOWN",
    kind: "invalid",
    description: "A model spec that is not `provider/model` with a known provider, or `demo`.",
  },
  providerKeyMissing: {
    code: "PROVIDER_KEY_MISSING",
    kind: "invalid",
    description: "The provider needs an API key and none is configured; `details.variables` names where to set it.",
  },
  providerBaseUrlMissing: {
    code: "PROVIDER_BASE_URL_MISSING",
    kind: "invalid",
    description: "An `openai-compatible` model without a base URL (`OXIOS_LLM_BASE_URL`).",
  },
  providerAuthFailed: {
    code: "PROVIDER_AUTH_FAILED",
    kind: "upstream",
    description: "The provider refused the credentials (HTTP 401 or 403).",
  },
  providerRateLimited: {
    code: "PROVIDER_RATE_LIMITED",
    kind: "upstream",
    description: "The provider rate-limited the kernel (HTTP 429); retried with backoff first.",
  },
  providerUnreachable: {
    code: "PROVIDER_UNREACHABLE",
    kind: "upstream",
    description: "The provider could not be reached (connection refused or reset, no answer).",
  },
  providerUnavailable: {
    code: "PROVIDER_UNAVAILABLE",
    kind: "upstream",
    description: "The provider answered with a server error (HTTP 5xx); retried with backoff first.",
  },
  providerRequestFailed: {
    code: "PROVIDER_REQUEST_FAILED",
    kind: "upstream",
    description: "The provider refused the request (another HTTP 4xx).",
  },
  providerCircuitOpen: {
    code: "PROVIDER_CIRCUIT_OPEN",
    kind: "upstream",
    description: "The provider's circuit breaker is open after repeated failures; no request was sent.",
  },
  providerModuleUnavailable: {
    code: "PROVIDER_MODULE_UNAVAILABLE",
    kind: "unavailable",
    description:
      "The provider's AI SDK package (imported at the model's first call) could not be loaded; the next call tries again.",
  },
  providerFailed: {
    code: "PROVIDER_FAILED",
    kind: "upstream",
    description: "Any other provider failure.",
  },
  agentProfileNotFound: {
    code: "AGENT_PROFILE_NOT_FOUND",
    kind: "not-found",
    description:
      "A run, chat message or schedule names an agent profile the kernel does not have; `details.field` is `agent`.",
  },
  skillInvalid: {
    code: "RUNTIME_SKILL_INVALID",
    kind: "invalid",
    description:
      "A SKILL.md without YAML front matter naming a valid `name` and `description`; `details.file` names it.",
  },
  skillFolderMissing: {
    code: "RUNTIME_SKILL_FOLDER_MISSING",
    kind: "invalid",
    description: "A skills folder the configuration names does not exist; `details.path` names it.",
  },
  skillFileTooLarge: {
    code: "RUNTIME_SKILL_FILE_TOO_LARGE",
    kind: "too-large",
    description: "A file of a skill's folder is larger than `MAX_SKILL_FILE_BYTES` (256 KiB).",
  },
});
