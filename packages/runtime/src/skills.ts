/**
 * Skills in the Agent Skills layout: a folder holding a `SKILL.md` whose YAML front matter
 * names the skill (`name`, `description`) and whose body is the instructions, with any files
 * the instructions refer to beside it. The system prompt lists each skill's name and
 * description; the agent loads the instructions (or one of the files) with `skill_read`.
 *
 * `loadSkills` reads folders once (at boot and on reload): a folder that is itself a skill,
 * or a folder of skill folders. A `SKILL.md` without a valid name and description is refused
 * with `RUNTIME_SKILL_INVALID` naming the file, so a broken skill is seen at load, not when an agent
 * needs it. `SkillToolPort` answers `skill_read` for one agent from its profile's skills (or
 * the kernel's, for agents without a profile), reading files only inside the skill's folder.
 * The YAML parser is imported with the first `SKILL.md` read, so a kernel without skills never
 * loads it.
 */

import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { KernelError } from "@oxios/core";
import type { SkillContent, SkillInfo, SkillPort } from "@oxios/tools";
import type { Skill } from "./agent-profile.ts";
import { RuntimeErrorCode } from "./error-codes.ts";

const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const MAX_DESCRIPTION = 1_024;
/** Files larger than this are not handed to a model. */
export const MAX_SKILL_FILE_BYTES = 256 * 1024;
const MAX_LISTED_FILES = 200;

function invalid(file: string, message: string): KernelError {
  return new KernelError(RuntimeErrorCode.skillInvalid, `${file}: ${message}`, { details: { file } });
}

/** Splits `SKILL.md` into its front matter (parsed) and body. */
async function splitSkillFile(file: string, text: string): Promise<{ meta: Record<string, unknown>; body: string }> {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (match === null) throw invalid(file, "must start with YAML front matter between --- lines");
  const { parse } = await import("yaml");
  let meta: unknown;
  try {
    meta = parse(match[1] as string);
  } catch (error) {
    throw invalid(file, `front matter is not YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
    throw invalid(file, "front matter must be a mapping with name and description");
  }
  return { meta: meta as Record<string, unknown>, body: (match[2] as string).trim() };
}

async function readSkillMeta(dir: string): Promise<Skill> {
  const file = join(dir, "SKILL.md");
  const { meta } = await splitSkillFile(file, await readFile(file, "utf8"));
  const { name, description } = meta;
  if (typeof name !== "string" || !NAME.test(name)) {
    throw invalid(file, "name must be 1–64 of a-z, 0-9 and '-', starting with a letter or digit");
  }
  if (typeof description !== "string" || description.trim() === "" || description.length > MAX_DESCRIPTION) {
    throw invalid(file, `description must be a non-empty string of at most ${MAX_DESCRIPTION} characters`);
  }
  return { name, description: description.trim(), dir };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/**
 * The skills in `roots`, in order; a later skill of the same name replaces an earlier one (a
 * profile's own skills come after the kernel's). A root that does not exist is an error
 * (`RUNTIME_SKILL_FOLDER_MISSING`) unless it is listed in `optional`.
 *
 * Throws: `RUNTIME_SKILL_INVALID` naming the `SKILL.md` that is wrong, `RUNTIME_SKILL_FOLDER_MISSING`.
 */
export async function loadSkills(roots: readonly string[], optional: readonly string[] = []): Promise<Skill[]> {
  const found = new Map<string, Skill>();
  for (const root of roots) {
    if (!(await exists(root))) {
      if (optional.includes(root)) continue;
      throw new KernelError(RuntimeErrorCode.skillFolderMissing, `skills folder ${root} does not exist`, {
        details: { path: root },
      });
    }
    const real = await realpath(root);
    if (await exists(join(real, "SKILL.md"))) {
      const skill = await readSkillMeta(real);
      found.set(skill.name, skill);
      continue;
    }
    const entries = await readdir(real, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!entry.isDirectory() || !(await exists(join(real, entry.name, "SKILL.md")))) continue;
      const skill = await readSkillMeta(join(real, entry.name));
      found.set(skill.name, skill);
    }
  }
  return [...found.values()];
}

async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (files.length >= MAX_LISTED_FILES) return;
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && path !== join(dir, "SKILL.md")) files.push(relative(dir, path));
    }
  };
  await walk(dir);
  return files.sort();
}

/**
 * A skill's instructions (the `SKILL.md` body), or the text of `file` inside its folder;
 * undefined when that file does not exist or lies outside the folder (also through a link).
 *
 * Throws: `RUNTIME_SKILL_INVALID` (the skill changed on disk and is now malformed), `RUNTIME_SKILL_FILE_TOO_LARGE`.
 */
export async function readSkill(skill: Skill, file?: string): Promise<SkillContent | undefined> {
  const files = await listFiles(skill.dir);
  if (file === undefined) {
    const path = join(skill.dir, "SKILL.md");
    const { body } = await splitSkillFile(path, await readFile(path, "utf8"));
    return { name: skill.name, description: skill.description, text: body, files };
  }
  let real: string;
  try {
    real = await realpath(join(skill.dir, file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  if (!real.startsWith(`${skill.dir}${sep}`)) return undefined;
  const info = await stat(real);
  if (!info.isFile()) return undefined;
  if (info.size > MAX_SKILL_FILE_BYTES) {
    throw new KernelError(RuntimeErrorCode.skillFileTooLarge, `${file} is larger than ${MAX_SKILL_FILE_BYTES} bytes`, {
      details: { skill: skill.name, file },
    });
  }
  return { name: skill.name, description: skill.description, text: await readFile(real, "utf8"), files };
}

/** `skill_read`'s port: an agent's skills are its profile's, or `defaults()` without a profile. */
export class SkillToolPort implements SkillPort {
  readonly #skillsOf: (agentId: string) => readonly Skill[];

  constructor(skillsOf: (agentId: string) => readonly Skill[]) {
    this.#skillsOf = skillsOf;
  }

  async list(agentId: string): Promise<SkillInfo[]> {
    return this.#skillsOf(agentId).map(({ name, description }) => ({ name, description }));
  }

  async read(agentId: string, name: string, file: string | undefined): Promise<SkillContent | undefined> {
    const skill = this.#skillsOf(agentId).find((candidate) => candidate.name === name);
    return skill === undefined ? undefined : readSkill(skill, file);
  }
}
