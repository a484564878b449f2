/**
 * Hash routing (`#/runs/<id>`): the kernel serves one index.html, and the fragment never
 * reaches it, so any route reloads without a server-side fallback.
 */

import { useEffect, useState } from "preact/hooks";

export function currentRoute(): string[] {
  const path = location.hash.replace(/^#\/?/, "");
  return path
    .split("/")
    .filter((part) => part.length > 0)
    .map(decodeURIComponent);
}

export function useRoute(): string[] {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}

export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join("/")}`;
}
