/**
 * Whether the address the HTTP API binds to is reachable from other machines. Loopback
 * (`127.0.0.0/8`, `::1`, `localhost`) is not; every other address, a wildcard (`0.0.0.0`,
 * `::`) or a host name, is — and the kernel says so when it starts.
 */

import { isIP } from "node:net";

export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const name = bare.toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  const mapped = name.startsWith("::ffff:") ? name.slice(7) : name;
  if (isIP(mapped) === 4) return mapped.split(".")[0] === "127";
  if (isIP(name) === 6) return name === "::1" || /^(0{1,4}:){7}0{0,3}1$/.test(name);
  return false;
}

/** The warning for a non-loopback bind, naming who can reach the API; undefined on loopback. */
export function exposureWarning(host: string, port: number): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  const where =
    host === "0.0.0.0" || host === "::" || host === "[::]"
      ? `every network interface (${host})`
      : `${host}, an address other machines can reach`;
  return `the HTTP API listens on ${where}, port ${port}: anyone on those networks can reach it and, with the API token, run agents; bind 127.0.0.1 (host in config.toml or OXIOS_HOST) unless that is intended, and put TLS in front of it`;
}
