/**
 * The browser's SSRF guard: only http(s) URLs, and the hostname is resolved first — every
 * address it resolves to must be outside the private (RFC 1918, fc00::/7), loopback,
 * link-local (169.254/16, fe80::/10, cloud metadata), CGNAT and unspecified ranges, unless the
 * configuration allows them (tests allow loopback explicitly). The same check runs for every
 * request the page makes (redirects, frames, subresources), not just the first URL.
 */

import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { KernelError } from "@oxios/core";
import { BrowserErrorCode } from "../error-codes.ts";

export interface SsrfPolicy {
  /** Allow 127.0.0.0/8 and ::1. Default false. */
  allowLoopback?: boolean;
  /** Allow private, link-local, CGNAT ranges. Default false. */
  allowPrivate?: boolean;
  /** Hostnames allowed whatever they resolve to. */
  allowHosts?: readonly string[];
}

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

const privateRanges = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  privateRanges.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  privateRanges.addSubnet(net, prefix, "ipv6");
}

function mappedV4(address: string): string | undefined {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match?.[1];
}

/** Why `address` is refused under `policy`, or undefined when it is allowed. */
export function addressRefusal(address: string, policy: SsrfPolicy): string | undefined {
  const v4 = mappedV4(address);
  const ip = v4 ?? address;
  const family = isIP(ip) === 6 ? "ipv6" : "ipv4";
  if (loopback.check(ip, family)) return policy.allowLoopback ? undefined : `${address} is a loopback address`;
  if (privateRanges.check(ip, family)) {
    return policy.allowPrivate ? undefined : `${address} is in a private, link-local or reserved range`;
  }
  return undefined;
}

/** Parses `url` and checks it is http(s). */
export function parseBrowserUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new KernelError(BrowserErrorCode.urlInvalid, `not a URL: ${url}`, { cause: error });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new KernelError(BrowserErrorCode.urlInvalid, `the browser opens only http(s) URLs, not ${parsed.protocol}`);
  }
  return parsed;
}

/** Resolves the URL's host and refuses it if any address is blocked. */
export async function checkUrl(url: string, policy: SsrfPolicy): Promise<URL> {
  const parsed = parseBrowserUrl(url);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (policy.allowHosts?.includes(host)) return parsed;
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
    } catch (error) {
      throw new KernelError(BrowserErrorCode.urlInvalid, `cannot resolve ${host}`, { cause: error });
    }
  }
  for (const address of addresses) {
    const refusal = addressRefusal(address, policy);
    if (refusal !== undefined) {
      throw new KernelError(BrowserErrorCode.urlBlocked, `${parsed.href} is blocked: ${refusal}`, {
        details: { host, address },
      });
    }
  }
  return parsed;
}
