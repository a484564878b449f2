/**
 * The A2A SDK (`@a2a-js/sdk` with `jose`, several MB of resident memory), loaded at its first
 * use rather than with the kernel: the server's side at the first request to the agent card
 * or `/a2a`, the client's side at the first call that talks to another agent. Each side is
 * loaded once, shared by the calls that wait for it; a failed load is `A2A_SDK_UNAVAILABLE`
 * and the next call tries again. Elsewhere the SDK is imported only for its types.
 */

import { KernelError, loadOnce } from "@oxios/core";
import { A2aErrorCode } from "../error-codes.ts";

export type A2aSdk = typeof import("@a2a-js/sdk");

export interface A2aServerSdk {
  sdk: A2aSdk;
  server: typeof import("@a2a-js/sdk/server");
}

export interface A2aClientSdk {
  sdk: A2aSdk;
  client: typeof import("@a2a-js/sdk/client");
  errors: typeof import("@a2a-js/sdk/errors");
}

function unavailable(side: string): (cause: unknown) => KernelError {
  return (cause) =>
    new KernelError(
      A2aErrorCode.sdkUnavailable,
      `the A2A SDK (${side}) could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
}

export const loadA2aServerSdk: () => Promise<A2aServerSdk> = loadOnce(async () => {
  const [sdk, server] = await Promise.all([import("@a2a-js/sdk"), import("@a2a-js/sdk/server")]);
  return { sdk, server };
}, unavailable("server"));

let clientErrors: A2aClientSdk["errors"] | undefined;

export const loadA2aClientSdk: () => Promise<A2aClientSdk> = loadOnce(async () => {
  const [sdk, client, errors] = await Promise.all([
    import("@a2a-js/sdk"),
    import("@a2a-js/sdk/client"),
    import("@a2a-js/sdk/errors"),
  ]);
  clientErrors = errors;
  return { sdk, client, errors };
}, unavailable("client"));

/**
 * Whether `error` is an A2A protocol error (an answer of the remote agent). Such an error
 * comes only from a client, so before the client's side is loaded nothing is one.
 */
export function isA2aProtocolError(error: unknown): boolean {
  return clientErrors !== undefined && error instanceof clientErrors.A2AError;
}
