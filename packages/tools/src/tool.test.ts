import { RecordingPublisher } from "@oxios/event-bus/testing";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { builtinTools } from "./builtin-tools.ts";
import { ToolRegistry, toolJsonSchema } from "./registry.ts";
import { createHarness, errorCode, type Harness, okOutput } from "./test-harness.ts";
import { InMemoryAuditSink } from "./testing/fake-ports.ts";
import { defineTool } from "./tool.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const echoDefinition = {
  name: "echo_back",
  description: "Echo the text back, shouted.",
  input: z.object({ text: z.string().describe("What to echo."), times: z.number().int().min(1).default(1) }),
  family: "fs.read" as const,
  async execute(input: { text: string; times: number }) {
    return { output: input.text.toUpperCase().repeat(input.times) };
  },
};
const echo = () => defineTool(echoDefinition);

describe("defineTool", () => {
  it("a tool is not idempotent unless it says so; reads and whole-file writes say so, exec and edits do not", () => {
    expect(echo().idempotent).toBe(false);
    expect(defineTool({ ...echoDefinition, idempotent: true }).idempotent).toBe(true);
    const idempotent = Object.fromEntries(builtinTools().map((tool) => [tool.name, tool.idempotent]));
    expect(idempotent).toMatchObject({
      read: true,
      ls: true,
      grep: true,
      find: true,
      write: true,
      memory_read: true,
      memory_search: true,
      exec: false,
      edit: false,
      memory_write: false,
      space_activate: false,
    });
  });

  const names: Array<[string, boolean]> = [
    ["read", true],
    ["memory_write", true],
    ["a-b_C9", true],
    ["x".repeat(64), true],
    ["x".repeat(65), false],
    ["", false],
    ["has space", false],
    ["dot.name", false],
    ["slash/name", false],
    ["ünicode", false],
  ];
  for (const [name, valid] of names) {
    it(`${valid ? "accepts" : "rejects"} the name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name)}`, () => {
      const define = () =>
        defineTool({
          name,
          description: "d",
          input: z.object({}),
          family: "fs.read",
          execute: async () => ({ output: 1 }),
        });
      if (valid) expect(define().name).toBe(name);
      else expect(define).toThrowError(expect.objectContaining({ code: "TOOL_DEFINITION_INVALID" }));
    });
  }

  it("returns an opaque tool: no execute to call around the gate", () => {
    const tool = echo();
    expect("execute" in tool).toBe(false);
    expect(Object.isFrozen(tool)).toBe(true);
  });

  it("a registry refuses two tools with one name", () => {
    const registry = new ToolRegistry({ audit: new InMemoryAuditSink(), publisher: new RecordingPublisher() });
    registry.register(echo());
    expect(() => registry.register(echo())).toThrowError(expect.objectContaining({ code: "TOOL_DUPLICATE" }));
  });
});

describe("Vercel AI SDK conversion", () => {
  it("keeps each tool's own description and JSON schema, and offers only permitted tools", async () => {
    h = await createHarness({ agent: { template: "worker" } });
    const tools = h.session.toAiTools();
    expect(Object.keys(tools).sort()).toEqual([
      "edit",
      "find",
      "grep",
      "ls",
      "memory_read",
      "memory_search",
      "read",
      "skill_read",
      "write",
    ]);
    const read = tools.read as { description?: string; inputSchema: { jsonSchema: unknown } };
    expect(read.description).toContain("Read a UTF-8 text file");
    expect(read.inputSchema.jsonSchema).toMatchObject({
      type: "object",
      properties: { path: { type: "string", description: "File to read." } },
      required: ["path"],
    });
    const descriptions = new Set(Object.values(tools).map((tool) => (tool as { description?: string }).description));
    expect(descriptions.size).toBe(Object.keys(tools).length);
  });

  it("defaulted fields are optional in the schema the model sees", () => {
    const schema = toolJsonSchema(echo()) as { required?: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(["text"]);
    expect(schema.properties.times).toMatchObject({ type: "integer", default: 1 });
    expect(schema).not.toHaveProperty("$schema");
  });

  it("execute goes through the gate; bad input comes back as a TOOL_INPUT_INVALID result", async () => {
    h = await createHarness();
    const registry = new ToolRegistry({ audit: h.audit, publisher: h.publisher, clock: h.clock }).register(echo());
    const session = await registry.session({ agentId: "model-agent", workspaceDir: h.workspace });
    const tool = session.toAiTools().echo_back as unknown as {
      execute: (
        input: unknown,
        options: { toolCallId: string; messages: []; abortSignal?: AbortSignal },
      ) => Promise<unknown>;
    };
    const ok = await tool.execute({ text: "hi", times: 2 }, { toolCallId: "call-1", messages: [] });
    expect(ok).toMatchObject({ ok: true, output: "HIHI", truncated: false });
    expect(h.audit.forCall("call-1")).toHaveLength(1);
    const bad = await tool.execute({ text: 5 }, { toolCallId: "call-2", messages: [] });
    expect(bad).toMatchObject({ ok: false, error: { code: "TOOL_INPUT_INVALID" } });
    expect((bad as { error: { message: string } }).error.message).toContain("text");
    const controller = new AbortController();
    controller.abort();
    const aborted = await tool.execute(
      { text: "x" },
      { toolCallId: "call-3", messages: [], abortSignal: controller.signal },
    );
    expect(aborted).toMatchObject({ ok: false, error: { code: "ABORTED" } });
  });

  it("a custom tool's thrown error becomes TOOL_FAILED with a duration", async () => {
    h = await createHarness();
    const boom = defineTool({
      name: "boom",
      description: "always fails",
      input: z.object({}),
      family: "fs.read",
      async execute(): Promise<{ output: never }> {
        throw new Error("kaput");
      },
    });
    const registry = new ToolRegistry({ audit: h.audit, publisher: h.publisher }).register(boom);
    const session = await registry.session({ agentId: "a", workspaceDir: h.workspace });
    const result = await session.execute("boom", {});
    expect(errorCode(result)).toBe("TOOL_FAILED");
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    okOutput(await h.session.execute("ls", {}));
  });
});
