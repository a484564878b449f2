/**
 * Reciprocal rank fusion: each list contributes `1 / (k + rank)` (rank from 1) to an item's
 * score; k = 60 as in the original paper and upstream. Ties keep first-seen order.
 */

export const RRF_K = 60;

export function reciprocalRankFusion(lists: ReadonlyArray<readonly number[]>, k = RRF_K): Map<number, number> {
  const scores = new Map<number, number>();
  for (const list of lists) {
    list.forEach((item, index) => {
      scores.set(item, (scores.get(item) ?? 0) + 1 / (k + index + 1));
    });
  }
  return scores;
}
