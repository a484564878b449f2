/**
 * The stable error codes the kernel itself throws or answers with (as `KernelError.code` and in
 * HTTP error bodies): the HTTP API's own (`UNAUTHORIZED`, `BODY_INVALID`, `JSON_*`, …), runs,
 * configuration, the API token and the CLI. Every other code comes from the package that
 * declares it. Callers branch on these; messages are for people and may change.
 */

import { defineErrorCodes } from "@oxios/core";

export const KernelErrorCode = defineErrorCodes("@oxios/kernel", {
  unauthorized: {
    code: "UNAUTHORIZED",
    kind: "unauthenticated",
    description: "No `Authorization: Bearer <token>` header with the API token (or the LLM key, where allowed).",
  },
  rateLimited: {
    code: "RATE_LIMITED",
    kind: "rate-limited",
    description: "More requests per minute than `OXIOS_HTTP_RATE_PER_MIN` allows for this token.",
  },
  notFound: {
    code: "NOT_FOUND",
    kind: "not-found",
    description: "No route for the method and path.",
  },
  bodyInvalid: {
    code: "BODY_INVALID",
    kind: "invalid",
    description: "A field of the body, query or path fails the route's schema; `field` names it.",
  },
  bodyTooLarge: {
    code: "BODY_TOO_LARGE",
    kind: "too-large",
    description: "A request body over 10 MiB, refused while it arrives.",
  },
  jsonMalformed: {
    code: "JSON_MALFORMED",
    kind: "malformed",
    description: "The request body is not valid JSON.",
  },
  bodyNotJson: {
    code: "BODY_NOT_JSON",
    kind: "malformed",
    description: "A route that takes a JSON body got a request without `Content-Type: application/json`.",
  },
  jsonTooDeep: {
    code: "JSON_TOO_DEEP",
    kind: "malformed",
    description: "JSON nested deeper than 64 levels, refused while the body arrives.",
  },
  jsonTooManyValues: {
    code: "JSON_TOO_MANY_VALUES",
    kind: "malformed",
    description: "JSON with more than 10,000 array elements and object members, refused while the body arrives.",
  },
  eventTypesInvalid: {
    code: "EVENT_TYPES_INVALID",
    kind: "invalid",
    description: "`GET /api/events?types=` names an event type that does not exist.",
  },
  runNotFound: {
    code: "RUN_NOT_FOUND",
    kind: "not-found",
    description: "No run with that task id (HTTP and A2A).",
  },
  stopping: {
    code: "KERNEL_STOPPING",
    kind: "unavailable",
    description: "The kernel is shutting down: a long poll answers now, and the run resumes at the next start.",
  },
  runInterrupted: {
    code: "RUN_INTERRUPTED",
    kind: "aborted",
    description: "The kernel stopped before the run finished; recorded on the run at the next boot.",
  },
  configInvalid: {
    code: "CONFIG_INVALID",
    kind: "invalid",
    description: "A configuration file, variable or key has the wrong form; the message names it.",
  },
  configExists: {
    code: "CONFIG_EXISTS",
    kind: "conflict",
    description: "`oxios init` found a config.toml in the home and left it as it is.",
  },
  tokenMissing: {
    code: "TOKEN_MISSING",
    kind: "unauthenticated",
    description: "The CLI found no API token in the home directory.",
  },
  tokenUnreadable: {
    code: "TOKEN_UNREADABLE",
    kind: "internal",
    description: "The API token file exists but cannot be read.",
  },
  cliUsageInvalid: {
    code: "CLI_USAGE_INVALID",
    kind: "invalid",
    description: "A CLI command got the wrong arguments; the message shows the usage.",
  },
  cliKernelNotRunning: {
    code: "CLI_KERNEL_NOT_RUNNING",
    kind: "unavailable",
    description: "A CLI command needs the running kernel and none owns the pid file.",
  },
  cliRequestFailed: {
    code: "CLI_REQUEST_FAILED",
    kind: "upstream",
    description: "The kernel answered the CLI with an error status and no error body; `details.status` has it.",
  },
  sessionNotFound: {
    code: "SESSION_NOT_FOUND",
    kind: "not-found",
    description: "Nothing is kept for that session id (no turns, no open interview).",
  },
  scheduleAgentDenied: {
    code: "SCHEDULE_AGENT_DENIED",
    kind: "denied",
    description:
      "An agent's schedule_* tool named a profile other than its own: agents may schedule goals only for the default agent or their own profile.",
  },
  controlPlaneNotReady: {
    code: "CONTROL_PLANE_NOT_READY",
    kind: "unavailable",
    description: "A schedule tool was called while the kernel was still booting.",
  },
});
