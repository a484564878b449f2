import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

function home(toml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "oxios-control-config-"));
  writeFileSync(join(dir, "config.toml"), toml);
  return dir;
}

/** The CONFIG_INVALID of loading `toml`, with its message relative to the file. */
function refusal(toml: string): { message: string; details: unknown } {
  const dir = home(toml);
  try {
    loadConfig({ OXIOS_HOME: dir });
  } catch (error) {
    const failure = error as { code: string; message: string; details: unknown };
    expect(failure.code).toBe("CONFIG_INVALID");
    return { message: failure.message.replace(`${join(dir, "config.toml")}`, "config.toml"), details: failure.details };
  }
  throw new Error("accepted");
}

const WRITER = `
[agents.writer]
description = "Writes the weekly notes"
system_prompt = "You write release notes."
model = "openai/gpt-4o-mini"
fallback_models = ["anthropic/claude-3-5-haiku-latest"]
role = "superuser"
template = "operator"
exec_allow = ["git", "cat"]
paths = ["/srv/repo"]
network = false
tools = { allow = ["exec", "read", "memory_*"], deny = ["memory_write"] }
approval_required = ["write"]
max_concurrent = 2
workspace = "persistent"
skills = ["skills-extra"]

[agents.writer.token_budget]
tokens = 200000
calls = 50
window = "day"

[schedules.weekly]
cron = "0 9 * * 1-5"
timezone = "Europe/Berlin"
goal = "Write the notes"
agent = "writer"
missed = "run-once"
overlap = "queue"
`;

describe("agent profiles and schedules in config.toml", () => {
  it("reads [agents.<name>] and [schedules.<name>] into settings", () => {
    const config = loadConfig({ OXIOS_HOME: home(WRITER) });
    expect(config.agents).toEqual([
      {
        name: "writer",
        description: "Writes the weekly notes",
        systemPrompt: "You write release notes.",
        model: "openai/gpt-4o-mini",
        fallbackModels: ["anthropic/claude-3-5-haiku-latest"],
        role: "superuser",
        template: "operator",
        execAllow: ["git", "cat"],
        paths: ["/srv/repo"],
        network: false,
        tools: { allow: ["exec", "read", "memory_*"], deny: ["memory_write"] },
        approvalRequired: ["write"],
        tokenBudget: { tokens: 200000, calls: 50, window: "day" },
        maxConcurrent: 2,
        workspace: "persistent",
        skills: ["skills-extra"],
      },
    ]);
    expect(config.schedules).toEqual([
      {
        name: "weekly",
        cron: "0 9 * * 1-5",
        timezone: "Europe/Berlin",
        goal: "Write the notes",
        agent: "writer",
        missed: "run-once",
        overlap: "queue",
      },
    ]);
    expect(config.approvalTimeoutMs).toBe(300_000);
    expect(config.approvalDefault).toBe("reject");
  });

  it("refuses an unknown template, role or model naming the file, the line and the key", () => {
    expect(refusal('\n[agents.a]\ntemplate = "wizard"\n')).toEqual({
      message:
        'config.toml:3: agents.a.template must be one of "worker", "standard", "operator", "supervisor", got "wizard"',
      details: expect.objectContaining({ key: "agents.a.template", line: 3 }),
    });
    expect(refusal('[agents.a]\ndescription = "x"\nrole = "root"\n').message).toBe(
      'config.toml:3: agents.a.role must be one of "user", "superuser", "admin", got "root"',
    );
    expect(refusal('[agents.a]\nmodel = "gpt-4"\n').message).toMatch(
      /^config\.toml:2: agents\.a\.model must be a model as "provider\/model"/,
    );
    expect(refusal('[agents.a]\nfallback_models = ["openai/x", "nope"]\n').message).toMatch(
      /^config\.toml:2: agents\.a\.fallback_models must be a list of/,
    );
    expect(refusal("[agents.a]\n[agents.a.token_budget]\ncalls = 5\n").message).toBe(
      'config.toml:2: agents.a.token_budget.window is required ("hour" or "day")',
    );
    expect(refusal('[agents.a]\ntools = { allow = ["rm -rf"] }\n').message).toMatch(
      /^config\.toml:2: agents\.a\.tools\.allow must be/,
    );
    expect(refusal('[agents.a]\ncolour = "blue"\n').message).toMatch(
      /^config\.toml:2: agents\.a\.colour is not a known field/,
    );
    expect(refusal('[agents."Bad Name"]\n').message).toMatch(/agents\.Bad Name is not a valid profile name/);
  });

  it("refuses a schedule naming no profile, or with both or neither of cron and every", () => {
    expect(refusal('[schedules.s]\ncron = "0 9 * * *"\ngoal = "g"\nagent = "ghost"\n').message).toBe(
      'config.toml:4: schedules.s.agent names no agent profile: "ghost" (defined: none)',
    );
    expect(refusal('[schedules.s]\ncron = "0 9 * * *"\nevery = "1h"\ngoal = "g"\n').message).toBe(
      "config.toml:1: schedules.s needs exactly one of cron and every",
    );
    expect(refusal('[schedules.s]\nevery = "1h"\n').message).toBe("config.toml:1: schedules.s.goal is required");
  });

  it("takes the approval timeout and default decision from the file or the environment", () => {
    const config = loadConfig({
      OXIOS_HOME: home('approval_timeout_ms = 60000\napproval_default = "approve"\n'),
      OXIOS_APPROVAL_TIMEOUT_MS: "90000",
    });
    expect(config).toMatchObject({ approvalTimeoutMs: 90_000, approvalDefault: "approve" });
    expect(() => loadConfig({ OXIOS_HOME: home('approval_default = "maybe"\n') })).toThrowError(/approval_default/);
  });
});
