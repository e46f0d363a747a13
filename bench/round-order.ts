// The order of a bench's cases in one round. A rotation alone keeps who runs after whom (a cyclic
// shift keeps neighbours), and on this VM a case's cost depends on the one before it: a 1 GiB
// case writes into the page cache its predecessor just freed, warm, or into memory handed back to
// the host, cold (bench/README.md, 2026-12-02 13:31). So each odd round runs the round before it
// backwards, and each pair of rounds starts one case further: in every two rounds a case follows
// its left neighbour once and its right neighbour once (one case follows itself instead).

/** `cases` rotated by half the round number, reversed in odd rounds. */
export function roundOrder<T>(cases: readonly T[], round: number): T[] {
  const shift = Math.floor(round / 2);
  const rotated = cases.map((_, i) => cases[(i + shift) % cases.length]);
  return round % 2 === 0 ? rotated : rotated.reverse();
}
