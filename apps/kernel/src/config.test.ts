import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

describe("loadConfig", () => {
  it("defaults to 127.0.0.1:4200", () => {
    expect(loadConfig({})).toEqual({ host: "127.0.0.1", port: 4200 });
  });

  it("names the key and the expected form on bad input", () => {
    expect(() => loadConfig({ OXIOS_PORT: "http" })).toThrowError(/OXIOS_PORT must be an integer/);
    expect(() => loadConfig({ OXIOS_PORT: "70000" })).toThrowError(expect.objectContaining({ code: "CONFIG_INVALID" }));
  });
});
