import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfigValue } from "./config.ts";

function home(toml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "oxios-config-"));
  if (toml !== undefined) writeFileSync(join(dir, "config.toml"), toml);
  return dir;
}

describe("loadConfig", () => {
  it("defaults: 127.0.0.1:4200, the demo model without a key, ~/.oxios under HOME", () => {
    const config = loadConfig({ HOME: "/home/ana" });
    expect(config).toMatchObject({
      home: "/home/ana/.oxios",
      host: "127.0.0.1",
      port: 4200,
      model: "demo",
      maxConcurrent: 5,
    });
  });

  it("the environment overrides config.toml", () => {
    const dir = home('port = 5000\nmodel = "ollama/llama3"\nmax_concurrent = 2\n');
    const config = loadConfig({ OXIOS_HOME: dir, OXIOS_PORT: "6000", OXIOS_RATE_PER_MIN: "30" });
    expect(config).toMatchObject({ port: 6000, model: "ollama/llama3", maxConcurrent: 2, ratePerMinute: 30 });
  });

  it("names the key and the expected form on bad input", () => {
    expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_PORT: "http" })).toThrowError(/OXIOS_PORT must be an integer/);
    expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_PORT: "70000" })).toThrowError(
      expect.objectContaining({ code: "CONFIG_INVALID" }),
    );
    expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_MODEL: "gpt" })).toThrowError(/OXIOS_MODEL must be a model/);
    const dir = home("max_concurrent = 0\n");
    expect(() => loadConfig({ OXIOS_HOME: dir })).toThrowError(`max_concurrent in ${join(dir, "config.toml")} must be`);
    expect(() => loadConfig({ OXIOS_HOME: home("colour = 1\n") })).toThrowError(/unknown key "colour"/);
  });

  it("an invalid file names the file and the line", () => {
    const dir = home('host = "a"\nport = = 1\n');
    expect(() => loadConfig({ OXIOS_HOME: dir })).toThrowError(`${join(dir, "config.toml")}:2:`);
  });

  it("the API token can never be the LLM key", () => {
    const key = "sk-the-same-secret-value";
    expect(() => loadConfig({ OXIOS_HOME: home(), OXIOS_API_TOKEN: key, OXIOS_LLM_API_KEY: key })).toThrowError(
      /must not equal the LLM API key/,
    );
  });

  it("parseConfigValue validates `config set` values", () => {
    expect(parseConfigValue("port", "4300")).toBe(4300);
    expect(() => parseConfigValue("port", "x")).toThrowError(/port must be an integer/);
  });
});
