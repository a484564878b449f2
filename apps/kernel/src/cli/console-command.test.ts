import { describe, expect, it } from "vitest";
import { consoleUrl, openerFor } from "./console-command.ts";

describe("oxios console", () => {
  it("puts the token in the URL fragment, encoded, never in the path or query", () => {
    const url = new URL(consoleUrl("http://127.0.0.1:4200/", "to+ken/with=odd&chars"));
    expect(url.pathname).toBe("/");
    expect(url.search).toBe("");
    expect(url.hash).toBe("#token=to%2Bken%2Fwith%3Dodd%26chars");
    expect(decodeURIComponent(url.hash.slice("#token=".length))).toBe("to+ken/with=odd&chars");
  });

  it("opens a browser only where there is a desktop", () => {
    expect(openerFor("darwin", {})).toBe("open");
    expect(openerFor("linux", { DISPLAY: ":0" })).toBe("xdg-open");
    expect(openerFor("linux", { WAYLAND_DISPLAY: "wayland-0" })).toBe("xdg-open");
    expect(openerFor("linux", {})).toBeUndefined();
  });
});
