// The README's release-notes example, exactly as printed there, on a real kernel booted in this
// process on a manual clock: the configuration loads, the schedule fires at 09:00 Berlin on a
// weekday, the run goes through the scheduler and the gate, its agent runs `git log` in the
// sandbox, and the next firing is Monday 09:00 after the daylight-saving change. Then an
// approval nobody answers gets the default decision when its time is up, on the same clock.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManualClock } from "@oxios/core/testing";
import { FakeLlmServer, type FakeRequest, type FakeToolCall, lastUserText } from "@oxios/runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { bootInProcessKernel } from "./__fixtures__/in-process-kernel.ts";
import { eventually, tempHome } from "./__fixtures__/kernel-process.ts";
import type { Kernel } from "./kernel.ts";

const README = fileURLToPath(new URL("../README.md", import.meta.url));

/** The TOML block that follows the README's `release-notes-example` marker. */
function readmeExample(): string {
  const text = readFileSync(README, "utf8");
  const marker = text.indexOf("<!-- release-notes-example");
  const start = text.indexOf("```toml config\n", marker) + "```toml config\n".length;
  return text.slice(start, text.indexOf("```", start));
}

function toolResults(request: FakeRequest): string[] {
  return (request.body.messages ?? [])
    .filter((message) => message.role === "tool")
    .map((message) => (typeof message.content === "string" ? message.content : JSON.stringify(message.content)));
}

/** Makes each tool call of `plan` in turn (one per model call), then answers with what it saw. */
function planned(plan: FakeToolCall[]) {
  return (request: FakeRequest) => {
    const results = toolResults(request);
    const next = plan[results.length];
    return next === undefined ? { text: `notes:\n${results.join("\n")}` } : { toolCalls: [next] };
  };
}

let cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function boot(home: string, fake: FakeLlmServer, clock: ManualClock): Promise<Kernel> {
  const { kernel, stop } = await bootInProcessKernel({
    modelUrl: fake.baseUrl,
    home,
    clock,
    environment: { OXIOS_LLM_API_KEY: "sk-release-notes-example-key" },
  });
  cleanup.push(stop);
  return kernel;
}

describe("the README's release-notes example", () => {
  it("loads exactly as printed, fires at 09:00 Berlin on a weekday, and its agent runs git log in the sandbox", async () => {
    const home = tempHome();
    writeFileSync(join(home, "config.toml"), readmeExample());
    const git = (...args: string[]): FakeToolCall => ({ name: "exec", arguments: { binary: "git", args } });
    const fake = await FakeLlmServer.start({
      script: planned([
        git("init", "-q", "repo"),
        git(
          "-C",
          "repo",
          "-c",
          "user.name=Oxios",
          "-c",
          "user.email=oxios@example.com",
          "commit",
          "-q",
          "--allow-empty",
          "-m",
          "Add the weekly report",
        ),
        git("-C", "repo", "log", "--since=yesterday", "--oneline"),
        { name: "exec", arguments: { binary: "curl", args: ["https://example.com"] } },
      ]),
    });
    cleanup.push(() => fake.close());
    // Friday 2026-03-27, 08:59 in Berlin (UTC+1 until Sunday).
    const clock = new ManualClock(Date.parse("2026-03-27T07:59:00Z"));
    const kernel = await boot(home, fake, clock);

    expect(kernel.control.profiles()).toEqual([
      expect.objectContaining({ name: "release-notes", execAllow: ["git"], workspace: "persistent" }),
    ]);
    expect(kernel.schedules.get("release-notes")).toMatchObject({
      agent: "release-notes",
      timezone: "Europe/Berlin",
      nextFireAt: Date.parse("2026-03-27T08:00:00Z"),
    });
    await clock.advanceAsync(59_999);
    expect(fake.requestCount).toBe(0);
    await clock.advanceAsync(1);

    const taskId = await eventually(() => kernel.schedules.get("release-notes")?.lastTaskId);
    const run = await (kernel.runs.finished(taskId) ?? kernel.runs.load(taskId));
    expect(run).toMatchObject({ status: "completed", agent: "release-notes" });
    const [init, commit, log, curl] = toolResults(fake.requests.at(-1) as FakeRequest);
    expect(JSON.parse(init as string)).toMatchObject({ exitCode: 0 });
    expect(JSON.parse(commit as string)).toMatchObject({ exitCode: 0 });
    expect(JSON.parse(log as string)).toMatchObject({
      exitCode: 0,
      stdout: expect.stringContaining("Add the weekly report"),
    });
    expect(curl).toContain("TOOL_EXEC_DENIED");
    expect(lastUserText(fake.requests[0]?.body ?? {})).toBe(
      "Write the release notes for the commits since yesterday in ./repo.",
    );

    await kernel.auditSubscriber.flush();
    const fired = await kernel.audit.query({ action: "schedule.fired", limit: 10 });
    expect(fired).toEqual([
      expect.objectContaining({
        resource: `task:${taskId}`,
        details: expect.objectContaining({
          payload: expect.objectContaining({ scheduleId: "release-notes", trigger: "timer", agent: "release-notes" }),
        }),
      }),
    ]);
    // Next: Monday 09:00 Berlin, which is 07:00 UTC after the change to summer time.
    expect(kernel.schedules.get("release-notes")?.nextFireAt).toBe(Date.parse("2026-03-30T07:00:00Z"));
  });

  it("an approval nobody answers gets the default decision when its time is up, audited as decided by timeout", async () => {
    const home = tempHome();
    writeFileSync(
      join(home, "config.toml"),
      'approval_timeout_ms = 60000\n\n[agents.careful]\napproval_required = ["write"]\nworkspace = "persistent"\n',
    );
    mkdirSync(join(home, "agents", "profiles", "careful"), { recursive: true });
    const fake = await FakeLlmServer.start({
      script: planned([{ name: "write", arguments: { path: "notes.md", content: "unapproved" } }]),
    });
    cleanup.push(() => fake.close());
    const clock = new ManualClock(Date.parse("2026-03-27T10:00:00Z"));
    const kernel = await boot(home, fake, clock);
    const { taskId } = await kernel.runs.start({ goal: "write the notes", agent: "careful" });
    const pending = await eventually(() => kernel.approvals.list({ status: "pending" })[0]);
    expect(pending).toMatchObject({ tool: "write", runId: taskId, deadlineAt: clock.now() + 60_000 });
    await clock.advanceAsync(59_999);
    expect(kernel.approvals.get(pending.approvalId)?.status).toBe("pending");
    await clock.advanceAsync(1);
    const run = await kernel.runs.finished(taskId);
    expect(run).toMatchObject({ status: "completed" });
    expect(toolResults(fake.requests.at(-1) as FakeRequest)[0]).toContain("approval timed out");
    expect(kernel.approvals.get(pending.approvalId)).toMatchObject({ status: "expired", decidedBy: "timeout" });
    await kernel.auditSubscriber.flush();
    expect(await kernel.audit.query({ action: "approval.resolved", limit: 5 })).toEqual([
      expect.objectContaining({ actor: "timeout", resource: `approval:${pending.approvalId}` }),
    ]);
    expect(() => readFileSync(join(home, "agents", "profiles", "careful", "notes.md"))).toThrow();
  });
});
