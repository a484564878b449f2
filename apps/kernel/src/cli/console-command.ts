/**
 * `oxios console`: the running kernel's console URL with the API token in the fragment
 * (`#token=…` — a browser never sends the fragment to the server, so the token is in no
 * request line and no access log); the console stores it for the tab and removes it from the
 * address bar. On a desktop (a terminal, and a display on Linux) the URL is also opened in the
 * default browser unless `--print`.
 */

import { spawn } from "node:child_process";

/** The console URL for `baseUrl` carrying `token` in the fragment. */
export function consoleUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/#token=${encodeURIComponent(token)}`;
}

/** The command that opens a URL in the desktop's browser, when there is a desktop. */
export function openerFor(
  platform: NodeJS.Platform,
  environment: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (platform === "darwin") return "open";
  if (platform === "win32") return undefined;
  return environment.DISPLAY || environment.WAYLAND_DISPLAY ? "xdg-open" : undefined;
}

/**
 * Starts the opener detached; resolves once it has started (or failed to: the URL is printed
 * either way, so a missing opener is only reported).
 */
export function openUrl(opener: string, url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(opener, [url], { detached: true, stdio: "ignore" });
    child.once("error", (error) => resolve(`could not open a browser (${opener}: ${error.message})`));
    child.once("spawn", () => {
      child.unref();
      resolve(undefined);
    });
  });
}
