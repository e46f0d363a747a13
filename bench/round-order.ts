// The order of a bench's cases in one round. A rotation alone keeps who runs after whom (a cyclic
// shift keeps neighbours), and on this VM a case's cost depends on the one before it: a 1 GiB
// case writes into the page cache its predecessor just freed, warm, or into memory handed back to
// the host, cold (bench/README.md, 2026-12-02 13:31). So odd rounds also run backwards: each
// case follows each of its two neighbours in half the rounds.

/** `cases` rotated by `round`, reversed in odd rounds. */
export function roundOrder<T>(cases: readonly T[], round: number): T[] {
  const rotated = cases.map((_, i) => cases[(i + round) % cases.length]);
  return round % 2 === 0 ? rotated : rotated.reverse();
}
