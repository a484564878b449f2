import { describe, expect, it } from "vitest";
import { isPathWithin, normalizePath, normalizeSpacePath, type PathContext } from "./paths.ts";

describe("normalizePath", () => {
  const table: Array<[string, PathContext, string | undefined]> = [
    ["/a/b", {}, "/a/b"],
    ["/a/b/", {}, "/a/b"],
    ["/a//b///c", {}, "/a/b/c"],
    ["/a/./b/.", {}, "/a/b"],
    ["/a/b/../c", {}, "/a/c"],
    ["/a/../../..", {}, "/"],
    ["/", {}, "/"],
    ["~", {}, "~"],
    ["~/", {}, "~"],
    ["~/x//y/../z/", {}, "~/x/z"],
    ["~/..", {}, undefined],
    ["~/../shared", { home: "/home/ana" }, "/home/shared"],
    ["~/code", { home: "/home/ana/" }, "/home/ana/code"],
    ["~ana/code", {}, undefined],
    ["./src", {}, undefined],
    ["./src", { cwd: "/work/app" }, "/work/app/src"],
    ["../lib", { cwd: "/work/app" }, "/work/lib"],
    ["src/main.ts", { cwd: "/work/app/" }, "/work/app/src/main.ts"],
    ["./src", { cwd: "~/app" }, "~/app/src"],
    ["./src", { cwd: "~/app", home: "/home/ana" }, "/home/ana/app/src"],
    ["", {}, undefined],
  ];
  it.each(table)("%s with %o → %s", (path, context, expected) => {
    expect(normalizePath(path, context)).toBe(expected);
  });

  it("keeps stored space paths absolute or home-relative", () => {
    expect(normalizeSpacePath("/srv//app/")).toBe("/srv/app");
    expect(normalizeSpacePath("~/code/")).toBe("~/code");
    expect(normalizeSpacePath("code")).toBeUndefined();
    expect(normalizeSpacePath("./code")).toBeUndefined();
  });

  it("compares on whole segments", () => {
    expect(isPathWithin("/a/b", "/a/b")).toBe(true);
    expect(isPathWithin("/a/b/c", "/a/b")).toBe(true);
    expect(isPathWithin("/a/bc", "/a/b")).toBe(false);
    expect(isPathWithin("/anything", "/")).toBe(true);
    expect(isPathWithin("~/x", "~")).toBe(true);
  });
});
