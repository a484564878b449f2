/**
 * The kernel's one token estimate: four characters (Unicode code points, so an emoji or a CJK
 * character counts once, never as two UTF-16 units) a token, rounded up. Used where a budget
 * needs a number before any tokenizer has seen the text: compaction, hot-tier and
 * conversation budgets.
 */
export function estimateTokens(text: string): number {
  let points = 0;
  for (const _ of text) points++;
  return Math.ceil(points / 4);
}
