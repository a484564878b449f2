/**
 * The kernel's one Redactor, built once at boot from every secret the process holds: the
 * API token, the LLM key, the A2A tokens, the value of every config key marked secret (from
 * config.toml or the environment: `database_auth_token`, `otel_headers`, …), the values of
 * its environment variables named like a secret (`*KEY*`, `*TOKEN*`, `*SECRET*`,
 * `*PASSWORD*`), and the secret-looking values of MCP servers' `env` and `headers`. It is
 * handed to the tools gate, the audit trail, memory, the conversation buffers, the state store
 * and git layer, and the logger.
 */

import { isSecretName, type Secret, SecretRedactor, secretsFromEnvironment } from "@oxios/core";
import type { KernelConfig } from "./config.ts";

/** Header names whose values are credentials whatever they are called. */
const CREDENTIAL_HEADERS = new Set(["authorization", "proxy-authorization", "cookie", "x-api-key"]);

/** A credential value, and its part after an auth scheme (`Bearer abc` → `abc` too). */
function credential(label: string, value: string): Secret[] {
  const scheme = /^(?:bearer|basic|token)\s+(\S+)$/i.exec(value.trim());
  return scheme === null
    ? [{ label, value }]
    : [
        { label, value },
        { label, value: scheme[1] as string },
      ];
}

export interface KernelSecretsInput {
  config: Pick<KernelConfig, "llmApiKey" | "a2aTokens" | "mcpServers"> &
    Partial<Pick<KernelConfig, "otelHeaders" | "secretValues">>;
  /** The API token in force (generated or `OXIOS_API_TOKEN`). */
  apiToken: string;
  /** The kernel process's environment. */
  environment: Readonly<Record<string, string | undefined>>;
}

/** Every secret the kernel knows, labelled by where it came from. */
export function kernelSecrets(input: KernelSecretsInput): Secret[] {
  const { config } = input;
  const secrets: Secret[] = [{ label: "api-token", value: input.apiToken }];
  if (config.llmApiKey !== undefined) secrets.push({ label: "llm-api-key", value: config.llmApiKey });
  for (const token of Object.values(config.a2aTokens)) secrets.push(...credential("a2a-token", token));
  // Every value of the trace exporter's headers is treated as a credential (an API key, a bearer token).
  for (const value of Object.values(config.otelHeaders ?? {})) secrets.push(...credential("otel-header", value));
  for (const server of config.mcpServers) {
    const label = `mcp:${server.name}`;
    const transport = server.transport;
    const table = transport.type === "stdio" ? transport.env : transport.headers;
    for (const [name, value] of Object.entries(table)) {
      if (isSecretName(name) || CREDENTIAL_HEADERS.has(name.toLowerCase())) secrets.push(...credential(label, value));
    }
  }
  // Every config key marked secret, from config.toml or the environment (`database_auth_token`, …);
  // a value already labelled above keeps its label.
  const known = new Set(secrets.map((secret) => secret.value));
  for (const { key, value } of config.secretValues ?? []) {
    for (const secret of credential(`config:${key}`, value)) {
      if (!known.has(secret.value)) secrets.push(secret);
      known.add(secret.value);
    }
  }
  secrets.push(...secretsFromEnvironment(input.environment));
  return secrets;
}

/** The kernel's redactor over `kernelSecrets(input)`. */
export function kernelRedactor(input: KernelSecretsInput): SecretRedactor {
  return new SecretRedactor(kernelSecrets(input));
}
