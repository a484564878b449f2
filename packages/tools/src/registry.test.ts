import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { builtinTools } from "./builtin-tools.ts";
import type { AgentIdentity, CapabilityTemplate, Role } from "./permissions.ts";
import { createHarness, errorCode, type Harness, okOutput } from "./test-harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const templates: CapabilityTemplate[] = ["worker", "standard", "operator", "supervisor"];
const roles: Role[] = ["user", "superuser", "admin"];
const toolNames = builtinTools().map((tool) => tool.name);
const nameLists = fc.option(
  fc.uniqueArray(fc.constantFrom(...toolNames, "mem*", "*", "ex?c", "nothing"), { maxLength: 4 }),
  {
    nil: undefined,
  },
);

describe("ToolRegistry.offered", () => {
  it("offers exactly what a session for the same agent offers, for any template, role and tool lists", async () => {
    h = await createHarness();
    const harness = h;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...templates),
        fc.constantFrom(...roles),
        nameLists,
        nameLists,
        async (template, role, allow, deny) => {
          const agent: Partial<AgentIdentity> = {
            template,
            role,
            permissions: {
              ...(allow === undefined && deny === undefined
                ? {}
                : { tools: { ...(allow === undefined ? {} : { allow }), ...(deny === undefined ? {} : { deny }) } }),
              paths: { allow: ["/tmp/**"], deny: ["secret/**"] },
            },
          };
          const session = await harness.sessionFor(agent);
          const offered = harness.registry.offered({ agentId: "agent-1", workspaceDir: harness.workspace, ...agent });
          expect(offered.map((tool) => tool.name)).toEqual(session.available().map((tool) => tool.name));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("creates nothing on disk: the workspace appears with the first call that reaches the filesystem", async () => {
    h = await createHarness();
    const workspaceDir = join(h.root, "agents", "agent-9");
    expect(h.registry.offered({ agentId: "agent-9", workspaceDir }).length).toBeGreaterThan(0);
    const session = await h.registry.session({ agentId: "agent-9", workspaceDir });
    expect(session.workspaceDir).toBe(workspaceDir);
    expect(existsSync(workspaceDir)).toBe(false);
    // A call that names no path and runs no program leaves the disk alone, allowed or not.
    expect((await session.execute("memory_write", { content: "a fact" })).ok).toBe(true);
    expect(errorCode(await session.execute("write", { path: "../elsewhere.txt", content: "x" }))).toBe(
      "TOOL_PATH_DENIED",
    );
    expect(existsSync(workspaceDir)).toBe(false);
    okOutput(await session.execute("write", { path: "notes/today.md", content: "hello" }));
    expect(readFileSync(join(workspaceDir, "notes", "today.md"), "utf8")).toBe("hello");
  });

  it("refuses a workspace that became a symlink between the session and its first use, and writes nothing", async () => {
    h = await createHarness();
    const workspaceDir = join(h.root, "agents", "agent-9");
    const session = await h.registry.session({ agentId: "agent-9", workspaceDir });
    const outside = join(h.root, "outside");
    mkdirSync(outside);
    symlinkSync(outside, workspaceDir);
    expect(errorCode(await session.execute("write", { path: "planted.txt", content: "x" }))).toBe("TOOL_PATH_DENIED");
    expect(readdirSync(outside)).toEqual([]);
  });

  it("resolves the workspaces' parent once: a parent swapped for a symlink afterwards is refused, not followed", async () => {
    h = await createHarness();
    const agents = join(h.root, "agents");
    const first = await h.registry.session({ agentId: "agent-8", workspaceDir: join(agents, "agent-8") });
    okOutput(await first.execute("write", { path: "a.txt", content: "x" }));
    // The parent directory now leads elsewhere; the next run's workspace would land there.
    const outside = join(h.root, "outside");
    mkdirSync(outside);
    renameSync(agents, join(h.root, "agents-before"));
    symlinkSync(outside, agents);
    const second = await h.registry.session({ agentId: "agent-9", workspaceDir: join(agents, "agent-9") });
    expect(second.workspaceDir).toBe(join(agents, "agent-9"));
    expect(errorCode(await second.execute("write", { path: "planted.txt", content: "x" }))).toBe("TOOL_PATH_DENIED");
    expect(existsSync(join(outside, "agent-9", "planted.txt"))).toBe(false);
  });
});
