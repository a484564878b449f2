/**
 * Turns a user's text into an FTS5 query that cannot fail: the text is split into words
 * (Unicode letters and digits only), common English stop words are dropped, and each word
 * becomes a double-quoted string joined with OR. Quotes, operators, column filters and
 * parentheses in the input never reach FTS5 syntax.
 */

const STOP_WORDS = new Set(
  `a an and are as at be been but by can could did do does for from had has have how i if in into is it its
  me my of on or our so than that the their them then there these they this to was we were what when where
  which who why will with would you your about after all also any because before being just more most no not
  only other out over should some such up very`.split(/\s+/),
);

/** The words of `text` worth matching, lower-cased, stop words removed, at most 32. */
export function queryTerms(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const kept = words.filter((word) => !STOP_WORDS.has(word));
  const chosen = kept.length > 0 ? kept : words;
  return [...new Set(chosen)].slice(0, 32);
}

/** An FTS5 MATCH expression for `text`, or undefined when it has no words. */
export function ftsQuery(text: string): string | undefined {
  const terms = queryTerms(text);
  if (terms.length === 0) return undefined;
  return terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(" OR ");
}
