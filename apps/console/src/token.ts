/**
 * The API token: kept in `sessionStorage` (this tab only, gone when it closes; never a cookie,
 * so no request carries it unasked and there is no CSRF surface). `oxios console` opens the
 * console with the token in the URL fragment (`#token=…`, which a browser never sends to the
 * server); it is read once, stored, and removed from the address bar and the history entry.
 */

const KEY = "oxios.token";

export function storedToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/** Takes `#token=…` out of the URL (replacing the history entry) and returns it. */
export function takeTokenFromFragment(location: Location, history: History): string | undefined {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (match === null) return undefined;
  history.replaceState(null, "", `${location.pathname}${location.search}#/`);
  return decodeURIComponent(match[1] ?? "");
}
