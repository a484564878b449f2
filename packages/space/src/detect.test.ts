import { describe, expect, it } from "vitest";
import { type DetectOptions, detectSpace, extractPaths, namedProject, spaceCandidate } from "./detect.ts";
import { DEFAULT_SPACE_ID, type Space } from "./space.ts";

function space(id: string, name: string, createdAt: number, fields: Partial<Space> = {}): Space {
  return {
    id,
    name,
    description: "",
    paths: [],
    tags: [],
    emoji: "📁",
    source: "manual",
    memoryVisible: true,
    createdAt,
    updatedAt: createdAt,
    lastActiveAt: createdAt,
    ...fields,
  };
}

const spaces: Space[] = [
  space(DEFAULT_SPACE_ID, "Default", 0, { tags: ["general"] }),
  space("oxios", "Oxios", 1, { paths: ["/work/oxios"], tags: ["kernel"] }),
  space("oxios-kernel", "Oxios Kernel", 2, { paths: ["/work/oxios/kernel"], tags: ["rust"] }),
  space("garden", "Garden", 3, { paths: ["~/garden"], tags: ["plants", "outdoor"] }),
  space("cpp", "C++", 4),
  space("notes", "Notes", 5, { tags: ["kernel"] }),
];

type Row = [message: string, options: DetectOptions, id: string | undefined, reason?: string, match?: string];

describe("detectSpace — the rules by table", () => {
  const home = "/home/ana";
  const table: Row[] = [
    // 1. explicit ids, first known one wins, unknown ones skipped
    ["anything", { explicitIds: ["garden"] }, "garden", "explicit", "garden"],
    ["about Oxios", { explicitIds: ["gone", "garden"] }, "garden", "explicit", "garden"],
    ["about Oxios", { explicitIds: [DEFAULT_SPACE_ID] }, DEFAULT_SPACE_ID, "explicit", DEFAULT_SPACE_ID],
    // 2. names: whole words, case-insensitive, longest name first
    ["let's talk oxios today", {}, "oxios", "name", "oxios"],
    ["the OXIOS kernel scheduler", {}, "oxios-kernel", "name", "OXIOS kernel"],
    ["oxios-based tools", {}, "oxios", "name", "oxios"],
    ["oxiosish things", {}, undefined],
    ["I like C++ a lot", {}, "cpp", "name", "C++"],
    ["Oxios in ~/garden", { home }, "oxios", "name", "Oxios"],
    ["the default settings", {}, undefined],
    // 3. paths: normalised, deepest space path wins, words inside paths are not names
    ["edit /work/oxios/src/main.ts", {}, "oxios", "path", "/work/oxios/src/main.ts"],
    ["edit /work/oxios/kernel/lib.rs", {}, "oxios-kernel", "path", "/work/oxios/kernel/lib.rs"],
    ["see /work/oxios/../oxios/kernel/", {}, "oxios-kernel", "path", "/work/oxios/kernel"],
    ["see /work//oxios///docs/.", {}, "oxios", "path", "/work/oxios/docs"],
    ['open "/work/oxios/README.md".', {}, "oxios", "path", "/work/oxios/README.md"],
    ["see /work/oxiosx/file", {}, undefined],
    ["check ~/garden/roses", {}, "garden", "path", "~/garden/roses"],
    ["check /home/ana/garden/roses", { home }, "garden", "path", "/home/ana/garden/roses"],
    ["check ~/garden", { home }, "garden", "path", "/home/ana/garden"],
    ["check /home/ana/garden", {}, undefined],
    ["fix the build", { cwd: "/work/oxios/kernel/src" }, "oxios-kernel", "path", "/work/oxios/kernel/src"],
    ["look at ./src", { cwd: "/work/oxios" }, "oxios", "path", "/work/oxios/src"],
    ["look at ../oxios/src", { cwd: "/work/other" }, "oxios", "path", "/work/oxios/src"],
    ["look at ./src", {}, undefined],
    ["look at /etc/hosts", { cwd: "/work/oxios" }, "oxios", "path", "/work/oxios"],
    ["look at ~/garden/x", { cwd: "/work/oxios" }, "garden", "path", "~/garden/x"],
    // A URL is not a path; the word in it still counts as a name.
    ["https://example.com/work/oxios", {}, "oxios", "name", "oxios"],
    ["https://example.com/work/oxiosx", {}, undefined],
    // 4. tags: whole words or #tag, earliest in the message, older space on a shared tag
    ["water the #plants", {}, "garden", "tag", "plants"],
    ["outdoor plants", {}, "garden", "tag", "outdoor"],
    ["rust and kernel", {}, "oxios-kernel", "tag", "rust"],
    ["kernel and rust", {}, "oxios", "tag", "kernel"],
    ["plants-based food", {}, undefined],
    ["general question", {}, undefined],
    ["", {}, undefined],
  ];

  it.each(table)("%j %j → %s (%s)", (message, options, id, reason, match) => {
    const found = detectSpace(message, spaces, options);
    expect(found?.space.id).toBe(id);
    if (id !== undefined) {
      expect(found?.reason).toBe(reason);
      expect(found?.match).toBe(match);
    }
  });

  it("breaks a name tie in favour of the older space regardless of list order", () => {
    const a = space("a", "Twin", 10);
    const b = space("b", "Other", 5, { tags: ["twin"] });
    expect(detectSpace("twin", [b, a])?.space.id).toBe("a");
    const c = space("c", "C", 20, { tags: ["shared"] });
    const d = space("d", "D", 10, { tags: ["shared"] });
    expect(detectSpace("shared", [c, d])?.space.id).toBe("d");
  });
});

describe("extractPaths", () => {
  it("finds path tokens and strips punctuation around them", () => {
    expect(extractPaths("see (/a/b), then '~/c/d'; and ./e!", { cwd: "/w" })).toEqual(["/a/b", "~/c/d", "/w/e"]);
    expect(extractPaths("a / b and and/or 1/2 //x")).toEqual([]);
    expect(extractPaths("up to /a/b/..")).toEqual(["/a"]);
  });
});

describe("spaceCandidate — what detectOrCreate would create", () => {
  const table: Array<
    [string, { cwd?: string; home?: string }, { name: string; paths: string[]; origin: string } | undefined]
  > = [
    ["work on /srv/alpha", {}, { name: "alpha", paths: ["/srv/alpha"], origin: "path" }],
    ["open /srv/alpha/src/main.ts", {}, { name: "src", paths: ["/srv/alpha/src"], origin: "path" }],
    ["see ~/code/beta/", {}, { name: "beta", paths: ["~/code/beta"], origin: "path" }],
    ["see ~/code/beta", { home: "/home/ana" }, { name: "beta", paths: ["~/code/beta"], origin: "path" }],
    ["see ~/../bob/gamma", { home: "/home/ana" }, { name: "gamma", paths: ["/home/bob/gamma"], origin: "path" }],
    ["in ./gamma", { cwd: "/work" }, { name: "gamma", paths: ["/work/gamma"], origin: "path" }],
    ["in ./gamma", {}, undefined],
    ['start project "Delta Force"', {}, { name: "Delta Force", paths: [], origin: "project" }],
    ["project: Epsilon.", {}, { name: "Epsilon", paths: [], origin: "project" }],
    ["a project called zeta at /srv/z", {}, { name: "zeta", paths: ["/srv/z"], origin: "project" }],
    ["project=eta-2", {}, { name: "eta-2", paths: [], origin: "project" }],
    ["this project is nice", {}, undefined],
    ["just chatting", { cwd: "/work/app" }, undefined],
    ["see / and ~", {}, undefined],
  ];
  it.each(table)("%j %j → %j", (message, context, expected) => {
    const candidate = spaceCandidate(message, context);
    expect(candidate === undefined ? undefined : { ...candidate, paths: [...candidate.paths] }).toEqual(expected);
  });

  it("reads the project name forms", () => {
    expect(namedProject("Project named Theta")).toBe("Theta");
    expect(namedProject("project “Iota Beam”")).toBe("Iota Beam");
    expect(namedProject("projects are fun")).toBeUndefined();
    expect(namedProject(`project "${"x".repeat(70)}"`)).toBe("x".repeat(70));
    expect(spaceCandidate(`project "${"x".repeat(70)}"`)).toBeUndefined();
  });
});
