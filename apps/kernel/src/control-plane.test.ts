import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveModel } from "@oxios/runtime";
import { describe, expect, it, onTestFinished } from "vitest";
import { loadConfig } from "./config.ts";
import { resolveControlPlane } from "./control-plane.ts";

const TOOLS = ["exec", "read", "write", "memory_search", "memory_write", "skill_read"];

/** The profiles of `toml` resolved against a kernel with `TOOLS` registered. */
async function resolved(toml: string, prepare: (dir: string) => void = () => undefined) {
  const dir = mkdtempSync(join(tmpdir(), "oxios-control-plane-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "config.toml"), toml);
  prepare(dir);
  const config = loadConfig({ OXIOS_HOME: dir });
  return {
    dir,
    result: resolveControlPlane(config, { model: resolveModel("demo"), toolNames: TOOLS }),
  };
}

describe("resolveControlPlane", () => {
  it("refuses a profile naming a tool the kernel does not have, with the key and line named", async () => {
    const { dir, result } = await resolved('[agents.pusher]\n\ntools = { allow = ["exec", "git_push"] }\n');
    await expect(result).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining(`${join(dir, "config.toml")}:3: agents.pusher.tools.allow names no tool`),
      details: { key: "agents.pusher.tools.allow", line: 3 },
    });
    await expect((await resolved('[agents.careful]\napproval_required = ["wrte"]\n')).result).rejects.toMatchObject({
      details: { key: "agents.careful.approval_required", line: 2 },
    });
    await expect((await resolved('[agents.x]\ntools = { deny = ["net_*"] }\n')).result).rejects.toMatchObject({
      details: { key: "agents.x.tools.deny" },
    });
  });

  it("takes globs that match a registered tool and the tools of a configured MCP server not yet connected", async () => {
    const { result } = await resolved(
      '[mcp.servers.github]\ncommand = "github-mcp"\n\n[agents.notes]\ntools = { allow = ["memory_*", "read"] }\napproval_required = ["mcp__github__*", "wr?te"]\n',
    );
    const plane = await result;
    expect(plane.profiles.get("notes")?.identity?.permissions).toMatchObject({
      tools: { allow: ["memory_*", "read"] },
      approvalRequired: ["mcp__github__*", "wr?te"],
    });
    await expect(
      (await resolved('[agents.notes]\napproval_required = ["mcp__gitlab__*"]\n')).result,
    ).rejects.toMatchObject({ code: "CONFIG_INVALID", details: { key: "agents.notes.approval_required" } });
  });

  it("refuses a profile whose skills folder is missing or holds a SKILL.md without front matter", async () => {
    await expect((await resolved('[agents.w]\nskills = ["nowhere"]\n')).result).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      details: { key: "agents.w.skills", line: 2 },
    });
    const bad = await resolved('[agents.w]\nskills = ["mine"]\n', (dir) => {
      mkdirSync(join(dir, "mine", "broken"), { recursive: true });
      writeFileSync(join(dir, "mine", "broken", "SKILL.md"), "no front matter here\n");
    });
    await expect(bad.result).rejects.toMatchObject({ code: "CONFIG_INVALID", details: { key: "agents.w.skills" } });
  });
});
