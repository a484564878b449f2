import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SecretRedactor } from "@oxios/core";
import { afterEach, describe, expect, it } from "vitest";
import type { AgentIdentity } from "./permissions.ts";
import { createHarness, errorCode, type Harness, okOutput, waitFor } from "./test-harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

interface Case {
  name: string;
  agent?: Partial<AgentIdentity>;
  tool: string;
  input: unknown;
  expect: "ok" | string;
}

describe("access gate decision table", () => {
  const cases: Case[] = [
    {
      name: "default agent reads in its workspace",
      tool: "write",
      input: { path: "a.txt", content: "x" },
      expect: "ok",
    },
    { name: "default agent may not list agents", tool: "kernel_agents", input: {}, expect: "TOOL_DENIED" },
    {
      name: "worker template has no exec",
      agent: { template: "worker" },
      tool: "exec",
      input: { binary: "echo", args: ["hi"] },
      expect: "TOOL_DENIED",
    },
    { name: "standard template has exec", tool: "exec", input: { binary: "echo", args: ["hi"] }, expect: "ok" },
    {
      name: "role user caps operator template to standard",
      agent: { template: "operator", role: "user" },
      tool: "scheduler_stats",
      input: {},
      expect: "TOOL_DENIED",
    },
    {
      name: "superuser may use operator template",
      agent: { template: "operator", role: "superuser" },
      tool: "scheduler_stats",
      input: {},
      expect: "ok",
    },
    {
      name: "operator cannot kill (kernel.control is supervisor-only)",
      agent: { template: "operator", role: "superuser" },
      tool: "kernel_agents",
      input: { action: "kill", agentId: "agent-2" },
      expect: "TOOL_DENIED",
    },
    {
      name: "supervisor capped to operator by superuser role cannot kill",
      agent: { template: "supervisor", role: "superuser" },
      tool: "kernel_agents",
      input: { action: "kill", agentId: "agent-2" },
      expect: "TOOL_DENIED",
    },
    {
      name: "admin supervisor kills without approval",
      agent: { template: "supervisor", role: "admin" },
      tool: "kernel_agents",
      input: { action: "kill", agentId: "agent-2" },
      expect: "ok",
    },
    {
      name: "per-agent deny list",
      agent: { permissions: { tools: { deny: ["read"] } } },
      tool: "read",
      input: { path: "a.txt" },
      expect: "TOOL_DENIED",
    },
    {
      name: "per-agent allow list excludes others",
      agent: { permissions: { tools: { allow: ["ls"] } } },
      tool: "write",
      input: { path: "a.txt", content: "x" },
      expect: "TOOL_DENIED",
    },
    {
      name: "parent directory escape",
      tool: "write",
      input: { path: "../outside.txt", content: "x" },
      expect: "TOOL_PATH_DENIED",
    },
    { name: "absolute path outside", tool: "read", input: { path: "/etc/hostname" }, expect: "TOOL_PATH_DENIED" },
    {
      name: "deny glob inside the workspace",
      agent: { permissions: { paths: { deny: ["secrets/**"] } } },
      tool: "write",
      input: { path: "secrets/key", content: "x" },
      expect: "TOOL_PATH_DENIED",
    },
    {
      name: "structured exec of a binary off the allowlist",
      tool: "exec",
      input: { binary: "rm", args: ["-rf", "x"] },
      expect: "TOOL_EXEC_DENIED",
    },
    {
      name: "shell mode is off by default",
      tool: "exec",
      input: { mode: "shell", command: "echo hi" },
      expect: "TOOL_EXEC_DENIED",
    },
    {
      name: "shell mode needs superuser even when enabled",
      agent: { permissions: { exec: { shell: true } } },
      tool: "exec",
      input: { mode: "shell", command: "echo hi" },
      expect: "TOOL_EXEC_DENIED",
    },
    {
      name: "admin with shell enabled runs a shell command",
      agent: { role: "admin", permissions: { exec: { shell: true } } },
      tool: "exec",
      input: { mode: "shell", command: "echo hi | tr a-z A-Z" },
      expect: "ok",
    },
    { name: "schema failure", tool: "read", input: { path: 42 }, expect: "TOOL_INPUT_INVALID" },
    { name: "unknown tool", tool: "teleport", input: {}, expect: "TOOL_NOT_FOUND" },
  ];

  for (const testCase of cases) {
    it(testCase.name, async () => {
      h = await createHarness();
      const session = testCase.agent === undefined ? h.session : await h.sessionFor(testCase.agent);
      const result = await session.execute(testCase.tool, testCase.input);
      if (testCase.expect === "ok") okOutput(result);
      else expect(errorCode(result)).toBe(testCase.expect);
    });
  }
});

describe("paths are checked on real paths", () => {
  it("refuses a symlink that points out of the workspace, for read and for write", async () => {
    h = await createHarness();
    const outside = join(h.root, "outside");
    await mkdir(outside);
    await writeFile(join(outside, "secret.txt"), "top secret");
    await symlink(outside, join(h.workspace, "escape"));
    await symlink(join(outside, "secret.txt"), join(h.workspace, "link.txt"));

    expect(errorCode(await h.session.execute("read", { path: "escape/secret.txt" }))).toBe("TOOL_PATH_DENIED");
    expect(errorCode(await h.session.execute("read", { path: "link.txt" }))).toBe("TOOL_PATH_DENIED");
    const write = await h.session.execute("write", { path: "escape/new.txt", content: "x" });
    expect(errorCode(write)).toBe("TOOL_PATH_DENIED");
    expect(h.audit.entries.at(-1)?.details.reason).toContain("outside the allowed roots");
  });

  it("refuses a dangling symlink whose target is outside (a write would land there)", async () => {
    h = await createHarness();
    const target = join(h.root, "not-yet.txt");
    await symlink(target, join(h.workspace, "dangling"));
    const result = await h.session.execute("write", { path: "dangling", content: "pwned" });
    expect(errorCode(result)).toBe("TOOL_PATH_DENIED");
    await expect(readFile(target, "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("allows a symlink that stays inside, and an extra allowed root given as a glob", async () => {
    h = await createHarness();
    const shared = join(h.root, "shared");
    await mkdir(shared);
    await writeFile(join(shared, "doc.md"), "shared doc");
    await writeFile(join(h.workspace, "real.txt"), "inside");
    await symlink(join(h.workspace, "real.txt"), join(h.workspace, "alias.txt"));
    expect(okOutput<{ content: string }>(await h.session.execute("read", { path: "alias.txt" })).content).toBe(
      "inside",
    );

    const session = await h.sessionFor({ permissions: { paths: { allow: [`${shared}/**`] } } });
    const doc = okOutput<{ content: string }>(await session.execute("read", { path: join(shared, "doc.md") }));
    expect(doc.content).toBe("shared doc");
  });

  it("creates the workspace when missing: an agent works there with no setup", async () => {
    h = await createHarness();
    const session = await h.sessionFor({ agentId: "fresh", workspaceDir: join(h.root, "agents", "fresh") });
    okOutput(await session.execute("write", { path: "notes/today.md", content: "hello" }));
    const read = await session.execute("read", { path: "notes/today.md" });
    expect(okOutput<{ content: string; path: string }>(read)).toMatchObject({
      content: "hello",
      path: "notes/today.md",
    });
  });
});

describe("audit and events", () => {
  it("audits allow and deny with the reason, and publishes started/completed/denied", async () => {
    h = await createHarness();
    const allowed = await h.session.execute("write", { path: "a.txt", content: "x" }, { callId: "call-allow" });
    const denied = await h.session.execute("read", { path: "/etc/hostname" }, { callId: "call-deny" });
    expect(allowed.ok).toBe(true);
    expect(denied.ok).toBe(false);

    const [allowEntry] = h.audit.forCall("call-allow");
    expect(allowEntry).toMatchObject({
      actor: "agent-1",
      action: "tool.allowed",
      resource: "write",
      details: {
        decision: "allow",
        reason: "permitted by template, role and permissions",
        role: "user",
        template: "standard",
      },
    });
    const [denyEntry] = h.audit.forCall("call-deny");
    expect(denyEntry).toMatchObject({ action: "tool.denied", resource: "read", details: { code: "TOOL_PATH_DENIED" } });
    expect(String(denyEntry?.details.reason)).toContain("outside the allowed roots");

    expect(h.publisher.types()).toEqual(["tool.started", "tool.completed", "tool.denied"]);
    expect(h.publisher.ofType("tool.denied")[0]?.payload).toMatchObject({
      callId: "call-deny",
      tool: "read",
      agentId: "agent-1",
    });
  });

  it("publishes tool.failed with the code when a tool fails", async () => {
    h = await createHarness();
    const result = await h.session.execute("read", { path: "missing.txt" }, { callId: "c1" });
    expect(errorCode(result)).toBe("TOOL_FILE_NOT_FOUND");
    expect(h.publisher.ofType("tool.failed")[0]?.payload.error.code).toBe("TOOL_FILE_NOT_FOUND");
  });

  it("returns schema errors to the caller with the schema message", async () => {
    h = await createHarness();
    const result = await h.session.execute("write", { path: "a.txt" });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe("TOOL_INPUT_INVALID");
      expect(result.error.message).toContain("content");
      expect(result.error.details?.issues).toEqual([expect.objectContaining({ path: ["content"] })]);
    }
  });

  it("does not run the tool when the audit trail cannot record the decision", async () => {
    h = await createHarness();
    h.audit.failAppends = true;
    const result = await h.session.execute("write", { path: "a.txt", content: "x" });
    expect(errorCode(result)).toBe("TOOL_AUDIT_FAILED");
    await expect(readFile(join(h.workspace, "a.txt"), "utf8")).rejects.toMatchObject({ code: "ENOENT" });
    expect(h.publisher.types()).not.toContain("tool.started");
  });
});

describe("secrets in results", () => {
  const key = "sk-test-0123456789abcdef";
  const redactor = new SecretRedactor([{ label: "llm-api-key", value: key }]);

  it("replaces a known secret in a tool's output before the caller sees it", async () => {
    h = await createHarness({ redactor });
    await writeFile(join(h.workspace, "notes.txt"), `the key is ${key}\n`);
    const result = await h.session.execute("read", { path: "notes.txt" });
    const output = JSON.stringify(okOutput(result));
    expect(output).not.toContain(key);
    expect(output).toContain("the key is [redacted:llm-api-key]");
  });

  it("replaces it in an error, the tool.failed event and the audit details", async () => {
    h = await createHarness({ redactor });
    const result = await h.session.execute("read", { path: `missing-${key}.txt` }, { callId: "c-secret" });
    expect(errorCode(result)).toBe("TOOL_FILE_NOT_FOUND");
    expect(JSON.stringify(result)).not.toContain(key);
    expect(JSON.stringify(h.publisher.ofType("tool.failed"))).not.toContain(key);
    const entries = h.audit.forCall("c-secret");
    expect(entries.length).toBeGreaterThan(0);
    expect(JSON.stringify(entries)).not.toContain(key);
    expect(JSON.stringify(entries)).toContain("missing-[redacted:llm-api-key].txt");
  });

  it("replaces it in what a port returns (memory search)", async () => {
    h = await createHarness({ redactor });
    okOutput(await h.session.execute("memory_write", { content: `deploy key ${key}` }));
    const found = await h.session.execute("memory_search", { query: "deploy key" });
    const output = JSON.stringify(okOutput(found));
    expect(output).toContain("deploy key [redacted:llm-api-key]");
    expect(output).not.toContain(key);
  });
});

describe("approvals", () => {
  const killer: Partial<AgentIdentity> = { template: "supervisor", role: "superuser" };
  const shellUser: Partial<AgentIdentity> = { role: "superuser", permissions: { exec: { shell: true } } };

  it("a dangerous call waits for approval and runs once approved", async () => {
    h = await createHarness();
    const session = await h.sessionFor(shellUser);
    const pending = session.execute("exec", { mode: "shell", command: "echo approved" });
    await waitFor(() => h.registry.approvals.pending().length === 1);
    const [request] = h.publisher.ofType("approval.requested");
    expect(request?.payload).toMatchObject({ agentId: "agent-1", tool: "exec", timeoutMs: 30_000 });
    expect(h.registry.approvals.pending()).toHaveLength(1);
    expect(h.registry.approvals.resolve(request?.payload.approvalId ?? "", { approved: true, by: "operator" })).toBe(
      true,
    );
    const result = okOutput<{ stdout: string }>(await pending);
    expect(result.stdout).toBe("approved\n");
    expect(h.publisher.ofType("approval.resolved")[0]?.payload).toMatchObject({ approved: true, by: "operator" });
    expect(h.audit.entries.at(-1)?.details).toMatchObject({
      decision: "allow",
      approvalId: request?.payload.approvalId,
    });
  });

  it("is denied by default when nobody answers before the timeout (ManualClock)", async () => {
    h = await createHarness({ approvalTimeoutMs: 60_000 });
    const session = await h.sessionFor(shellUser);
    const pending = session.execute("exec", { mode: "shell", command: "echo never" });
    await waitFor(() => h.registry.approvals.pending().length === 1);
    await h.clock.advanceAsync(59_999);
    expect(h.registry.approvals.pending()).toHaveLength(1);
    await h.clock.advanceAsync(1);
    expect(errorCode(await pending)).toBe("TOOL_APPROVAL_DENIED");
    expect(h.publisher.ofType("approval.resolved")[0]?.payload).toMatchObject({ approved: false, by: "timeout" });
    expect(h.audit.entries.at(-1)).toMatchObject({ action: "tool.denied", details: { code: "TOOL_APPROVAL_DENIED" } });
    expect(String(h.audit.entries.at(-1)?.details.reason)).toContain("timed out");
    expect(h.publisher.types()).not.toContain("tool.started");
  });

  it("a rejection denies with the rejecter's reason; the kill never happens", async () => {
    h = await createHarness();
    // admin skips the approval a tool asks for itself (kill), but not one its permissions ask for
    const admin = await h.sessionFor({ ...killer, role: "admin" });
    okOutput(await admin.execute("kernel_agents", { action: "kill", agentId: "agent-2" }));
    const guarded = await h.sessionFor({
      ...killer,
      role: "admin",
      permissions: { approvalRequired: ["kernel_*"] },
    });
    const guardedKill = guarded.execute("kernel_agents", { action: "kill", agentId: "agent-2" });
    await waitFor(() => h.registry.approvals.pending().length === 1);
    const killApproval = h.registry.approvals.pending()[0]?.approvalId ?? "";
    h.registry.approvals.decide(killApproval, { approved: false, by: "alice" });
    expect(errorCode(await guardedKill)).toBe("TOOL_APPROVAL_DENIED");

    const userSession = await h.sessionFor({ permissions: { approvalRequired: ["write"] } });
    const pending = userSession.execute("write", { path: "x.txt", content: "x" });
    await waitFor(() => h.registry.approvals.pending().length === 1);
    const approvalId = h.registry.approvals.pending()[0]?.approvalId ?? "";
    h.registry.approvals.resolve(approvalId, { approved: false, by: "alice", reason: "not now" });
    const result = await pending;
    expect(errorCode(result)).toBe("TOOL_APPROVAL_DENIED");
    if (!result.ok) expect(result.error.message).toContain("rejected by alice: not now");
  });

  it("records the call's redacted input, run and profile, and matches approval_required globs", async () => {
    h = await createHarness({ redactor: new SecretRedactor([{ value: "sk-secret-value-123", label: "key" }]) });
    const session = await h.sessionFor({
      profile: "release-notes",
      runId: "run-7",
      permissions: { approvalRequired: ["wr?te", "memory_*"] },
    });
    const pending = session.execute("write", { path: "notes.md", content: "token sk-secret-value-123" });
    await waitFor(() => h.registry.approvals.pending().length === 1);
    const [record] = h.registry.approvals.list({ status: "pending" });
    expect(record).toMatchObject({
      tool: "write",
      runId: "run-7",
      profile: "release-notes",
      input: { path: "notes.md", content: "token [redacted:key]" },
    });
    expect(h.publisher.ofType("approval.requested")[0]?.payload).toMatchObject({ runId: "run-7" });
    h.registry.approvals.decide(record?.approvalId ?? "", { approved: true, by: "operator" });
    okOutput(await pending);
    expect(h.audit.entries.at(-1)?.details).toMatchObject({ profile: "release-notes", runId: "run-7" });
    const search = session.execute("memory_search", { query: "x" });
    await waitFor(() => h.registry.approvals.pending().length === 1);
    h.registry.approvals.decide(h.registry.approvals.pending()[0]?.approvalId ?? "", { approved: false, by: "op" });
    expect(errorCode(await search)).toBe("TOOL_APPROVAL_DENIED");
    okOutput(await session.execute("ls", {}));
  });

  it("runs the call when nobody answers and the default decision is approve", async () => {
    h = await createHarness({ approvalTimeoutMs: 1_000, approvalDefault: "approve" });
    const session = await h.sessionFor({ permissions: { approvalRequired: ["write"] } });
    const pending = session.execute("write", { path: "y.txt", content: "y" });
    await waitFor(() => h.registry.approvals.pending().length === 1);
    await h.clock.advanceAsync(1_000);
    okOutput(await pending);
    expect(String(h.audit.entries.at(-1)?.details.reason)).toContain("approved by default");
    expect(h.registry.approvals.list()[0]).toMatchObject({ status: "expired", decidedBy: "timeout" });
  });

  it("aborting while waiting for approval settles ABORTED and resolves the approval as aborted", async () => {
    h = await createHarness();
    const session = await h.sessionFor(shellUser);
    const controller = new AbortController();
    const pending = session.execute("exec", { mode: "shell", command: "echo x" }, { signal: controller.signal });
    await waitFor(() => h.registry.approvals.pending().length === 1);
    controller.abort();
    expect(errorCode(await pending)).toBe("ABORTED");
    expect(h.registry.approvals.pending()).toHaveLength(0);
    expect(h.publisher.ofType("approval.resolved")[0]?.payload.by).toBe("aborted");
    expect(h.audit.entries.at(-1)?.action).toBe("tool.denied");
  });
});
