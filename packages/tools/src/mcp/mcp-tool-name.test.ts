import { describe, expect, it } from "vitest";
import { TOOL_NAME_PATTERN } from "../tool.ts";
import { parseMcpServers } from "./mcp-config.ts";
import { mcpToolName } from "./mcp-tool-name.ts";

describe("mcpToolName", () => {
  it("keeps valid names as mcp__<server>__<tool>", () => {
    expect(mcpToolName("everything", "get-sum")).toBe("mcp__everything__get-sum");
  });

  it("sanitizes and shortens deterministically, keeping distinct names distinct", () => {
    const dotted = mcpToolName("fs", "read.file");
    const underscored = mcpToolName("fs", "read_file");
    expect(dotted).toMatch(TOOL_NAME_PATTERN);
    expect(dotted).not.toBe(underscored);
    expect(mcpToolName("fs", "read.file")).toBe(dotted);
    const long = mcpToolName("server", "x".repeat(100));
    const longer = mcpToolName("server", `${"x".repeat(100)}y`);
    expect(long).toMatch(TOOL_NAME_PATTERN);
    expect(long).toHaveLength(64);
    expect(long).not.toBe(longer);
  });
});

describe("parseMcpServers", () => {
  it("fills defaults and refuses bad or duplicate configurations with MCP_CONFIG_INVALID", () => {
    const [server] = parseMcpServers([{ name: "a", transport: { type: "stdio", command: "node" } }]);
    expect(server).toMatchObject({ enabled: true, transport: { args: [], env: {} } });
    expect(() => parseMcpServers([{ name: "bad name", transport: { type: "stdio", command: "x" } }])).toThrow(
      expect.objectContaining({ code: "MCP_CONFIG_INVALID" }),
    );
    expect(() => parseMcpServers([{ name: "h", transport: { type: "streamable-http", url: "file:///etc" } }])).toThrow(
      expect.objectContaining({ code: "MCP_CONFIG_INVALID" }),
    );
    const twice = { name: "a", transport: { type: "stdio", command: "node" } };
    expect(() => parseMcpServers([twice, twice])).toThrow(expect.objectContaining({ code: "MCP_CONFIG_INVALID" }));
  });
});
