import { describe, expect, it } from "vitest";
import { exposureWarning, isLoopbackHost } from "./bind-address.ts";

describe("isLoopbackHost", () => {
  it("is true for loopback addresses and localhost only", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "::ffff:127.0.0.1"]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ["0.0.0.0", "::", "192.168.1.5", "10.0.0.1", "example.com", "128.0.0.1", "::ffff:10.0.0.1"]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});

describe("exposureWarning", () => {
  it("names the exposure for wildcard and routable addresses, and nothing on loopback", () => {
    expect(exposureWarning("127.0.0.1", 4200)).toBeUndefined();
    expect(exposureWarning("0.0.0.0", 4200)).toMatch(/listens on every network interface \(0\.0\.0\.0\), port 4200/);
    expect(exposureWarning("192.168.1.5", 80)).toMatch(/192\.168\.1\.5, an address other machines can reach/);
  });
});
