/** "Did you mean …": the closest known word to a typo. */

/**
 * Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbouring letters ("lsit" -> "list") each cost 1.
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j] = distance between a[0..i) and b[0..j); three rows are enough for the swap case.
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, before[j - 2]! + 1);
      }
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `input` (case-insensitive) if it is a likely typo of it: no edit for one
 * or two letters (`-a` is `-A`, but `-x` is not `-n`), one up to 4 letters, two up to 8, three beyond;
 * or `input` is a prefix (3+ letters) or a suffix (4+ letters: `token` for `botToken`) of it.
 * Ties go to the earlier candidate.
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  if (needle === '') return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const hay = candidate.toLowerCase();
    const longer = Math.max(needle.length, hay.length);
    const limit = longer <= 2 ? 0 : longer <= 4 ? 1 : longer <= 8 ? 2 : 3;
    const affix = (needle.length >= 3 && hay.startsWith(needle)) || (needle.length >= 4 && hay.endsWith(needle));
    const distance = affix ? 1 : editDistance(needle, hay);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
