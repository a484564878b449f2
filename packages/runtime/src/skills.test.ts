import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadSkills, readSkill, SkillToolPort } from "./skills.ts";
import { buildSystemPrompt } from "./system-prompt.ts";

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "oxios-skills-"));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function skill(dir: string, front: string, body = "Do it well.", files: Record<string, string> = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "SKILL.md"), `---\n${front}\n---\n${body}\n`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe("skills", () => {
  it("loads a folder of skill folders and a skill folder, a later one replacing an earlier name", async () => {
    const shared = join(root, "shared");
    skill(join(shared, "changelog"), "name: changelog\ndescription: Write a changelog from git log", "Group by type.", {
      "templates/entry.md": "## Added",
    });
    skill(join(shared, "deploy"), "name: deploy\ndescription: >\n  Deploy the service\n  safely");
    const own = skill(join(root, "own-changelog"), "name: changelog\ndescription: Our changelog style");
    const skills = await loadSkills([join(root, "missing"), shared, own], [join(root, "missing")]);
    expect(skills.map(({ name, description }) => ({ name, description }))).toEqual([
      { name: "changelog", description: "Our changelog style" },
      { name: "deploy", description: "Deploy the service safely" },
    ]);
    const changelog = (await loadSkills([shared]))[0];
    expect(changelog).toBeDefined();
    if (changelog === undefined) return;
    expect(await readSkill(changelog)).toEqual({
      name: "changelog",
      description: "Write a changelog from git log",
      text: "Group by type.",
      files: ["templates/entry.md"],
    });
    expect((await readSkill(changelog, "templates/entry.md"))?.text).toBe("## Added");
  });

  it("refuses a SKILL.md without a valid name or description, naming the file, and a missing folder", async () => {
    const bad = skill(join(root, "bad"), "name: Bad Name\ndescription: x");
    await expect(loadSkills([bad])).rejects.toMatchObject({
      code: "RUNTIME_SKILL_INVALID",
      message: expect.stringContaining(join(bad, "SKILL.md")),
    });
    const noFront = join(root, "plain");
    mkdirSync(noFront);
    writeFileSync(join(noFront, "SKILL.md"), "just text");
    await expect(loadSkills([noFront])).rejects.toMatchObject({ code: "RUNTIME_SKILL_INVALID" });
    await expect(loadSkills([join(root, "nowhere")])).rejects.toMatchObject({ code: "RUNTIME_SKILL_FOLDER_MISSING" });
  });

  it("reads no file outside the skill's folder, by .. or through a link", async () => {
    writeFileSync(join(root, "secret.txt"), "secret");
    const dir = skill(join(root, "s"), "name: s\ndescription: d");
    symlinkSync(join(root, "secret.txt"), join(dir, "link.txt"));
    const [loaded] = await loadSkills([dir]);
    if (loaded === undefined) throw new Error("not loaded");
    expect(await readSkill(loaded, "../secret.txt")).toBeUndefined();
    expect(await readSkill(loaded, "link.txt")).toBeUndefined();
    expect(await readSkill(loaded, "absent.md")).toBeUndefined();
  });

  it("answers skill_read for an agent from its own skills only, and lists them in the system prompt", async () => {
    const [loaded] = await loadSkills([skill(join(root, "notes"), "name: notes\ndescription: Take notes")]);
    if (loaded === undefined) throw new Error("not loaded");
    const port = new SkillToolPort((agentId) => (agentId === "a1" ? [loaded] : []));
    expect(await port.list("a1")).toEqual([{ name: "notes", description: "Take notes" }]);
    expect((await port.read("a1", "notes", undefined))?.text).toBe("Do it well.");
    expect(await port.read("a2", "notes", undefined)).toBeUndefined();
    const prompt = buildSystemPrompt({ seed: { goal: "g" }, skills: [loaded] });
    expect(prompt).toContain("skill_read");
    expect(prompt).toContain("- notes: Take notes");
  });
});
