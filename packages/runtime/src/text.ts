/**
 * Text helpers that count characters (Unicode code points), never bytes or UTF-16 units,
 * so a cut never splits a character (upstream sliced UTF-8 by bytes and could panic).
 */

/** At most `max` code points of `text`, with "…" as the last one when it was cut. */
export function truncateChars(text: string, max: number): string {
  if (max <= 0) return "";
  const points = Array.from(text);
  if (points.length <= max) return text;
  return `${points.slice(0, max - 1).join("")}…`;
}
