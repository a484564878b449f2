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
  return terms.length === 0 ? undefined : matchAny(terms);
}

/** An FTS5 MATCH expression for rows holding any of `terms` (at least one). */
export function matchAny(terms: readonly string[]): string {
  return terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(" OR ");
}

/**
 * The terms a keyword query matches when its rows must stay within `budget`. FTS5 scores every
 * row that holds any query term before it takes the best few, so the work grows with the
 * terms' document frequencies; the most common terms cost the most rows and weigh the least in
 * BM25 (their inverse document frequency is lowest). Terms are taken rarest first while the rows
 * they match add up to at most `budget`, and the rarest term found in any memory is always
 * taken, so a query of common words only still finds something. Returns `terms` itself when
 * all of them fit; otherwise the kept terms in their order in `terms`. `documents` holds each
 * term's document frequency (a term absent from it is in no memory: it costs nothing).
 */
export function termsWithinBudget(
  terms: readonly string[],
  documents: ReadonlyMap<string, number>,
  budget: number,
): readonly string[] {
  const frequency = (term: string): number => documents.get(term) ?? 0;
  let total = 0;
  for (const term of terms) total += frequency(term);
  if (total <= budget) return terms;
  const kept = new Set<string>();
  let rows = 0;
  for (const term of [...terms].sort((a, b) => frequency(a) - frequency(b))) {
    if (rows > 0 && rows + frequency(term) > budget) break;
    kept.add(term);
    rows += frequency(term);
  }
  return terms.filter((term) => kept.has(term));
}
