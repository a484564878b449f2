/**
 * Agent cards: the kernel's own card (built from a small description) and validation of
 * cards from elsewhere. The SDK trusts whatever JSON a remote serves; a card without a name,
 * an http(s) JSON-RPC interface or well-formed skills is refused here with
 * `A2A_AGENT_CARD_INVALID` before any client is built from it.
 */

import type { AgentCard } from "@a2a-js/sdk";
import { KernelError } from "@oxios/core";
import { z } from "zod";
import { A2aErrorCode } from "../error-codes.ts";
import type { A2aSdk } from "./a2a-sdk.ts";

const httpUrl = z.url({ protocol: /^https?$/ });

const skillSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  description: z.string().default(""),
  tags: z.array(z.string()).default([]),
  examples: z.array(z.string()).default([]),
});

/** The shape a card must have to be used (extra fields pass through to the SDK). */
export const agentCardSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string().default(""),
  version: z.string().min(1),
  supportedInterfaces: z
    .array(
      z.looseObject({
        url: httpUrl,
        protocolBinding: z.string().min(1),
        protocolVersion: z.string().default("1.0"),
      }),
    )
    .min(1)
    .refine((interfaces) => interfaces.some((entry) => entry.protocolBinding === "JSONRPC"), {
      message: "the card offers no JSONRPC interface",
    }),
  capabilities: z.looseObject({ streaming: z.boolean().optional() }).default({}),
  defaultInputModes: z.array(z.string()).default(["text/plain"]),
  defaultOutputModes: z.array(z.string()).default(["text/plain"]),
  skills: z.array(skillSchema).default([]),
});

export type AgentCardJson = z.output<typeof agentCardSchema>;
export type AgentSkillJson = z.output<typeof skillSchema>;

/** Validates a card's JSON; `source` names where it came from for the error message. */
export function validateAgentCard(json: unknown, source: string): AgentCardJson {
  const parsed = agentCardSchema.safeParse(json);
  if (!parsed.success) {
    throw new KernelError(
      A2aErrorCode.cardInvalid,
      `agent card from ${source} is invalid: ${z.prettifyError(parsed.error)}`,
      {
        details: {
          source,
          issues: parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
        },
      },
    );
  }
  return parsed.data;
}

/** The SDK's card object for a validated card. */
export function toSdkAgentCard(sdk: A2aSdk, card: AgentCardJson): AgentCard {
  return sdk.AgentCard.fromJSON(card);
}

/** What the kernel says about itself on its card. */
export interface KernelAgentCardInput {
  name: string;
  description: string;
  version: string;
  /** The public URL of the JSON-RPC endpoint (where the handler's `rpcPath` is reachable). */
  url: string;
  skills?: Array<{ id: string; name: string; description?: string; tags?: string[]; examples?: string[] }>;
  provider?: { organization: string; url: string };
}

/** The kernel's card, validated (the server turns it into the SDK's card when it loads the SDK). */
export function buildKernelAgentCard(input: KernelAgentCardInput): AgentCardJson {
  return validateAgentCard(
    {
      name: input.name,
      description: input.description,
      version: input.version,
      supportedInterfaces: [{ url: input.url, protocolBinding: "JSONRPC", protocolVersion: "1.0", tenant: "" }],
      capabilities: { streaming: true, pushNotifications: false, extensions: [] },
      defaultInputModes: ["text/plain", "application/json"],
      defaultOutputModes: ["text/plain", "application/json"],
      skills: input.skills ?? [],
      ...(input.provider === undefined ? {} : { provider: input.provider }),
    },
    "the kernel's configuration",
  );
}
