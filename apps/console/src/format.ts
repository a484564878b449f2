/** Formatting shared by the pages. */

export function time(ms: number | undefined): string {
  return ms === undefined ? "—" : new Date(ms).toLocaleTimeString();
}

export function dateTime(ms: number | undefined): string {
  return ms === undefined ? "—" : new Date(ms).toLocaleString();
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function json(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
