// fix_fingers: refreshing the finger table by lookups, one finger a round or all at once. Apart
// from the node, which only supplies the lookup; the table itself is finger-table.ts.
import { inHalfOpen } from './id';
import type { FingerTable } from './finger-table';
import type { LookupResult } from './lookup';
import type { ChordContact } from './remote';

type Lookup = (key: bigint) => Promise<LookupResult>;

/** Refreshes the next finger that needs a lookup (one lookup per call). */
export async function fixNextFinger(fingers: FingerTable, successor: ChordContact, lookup: Lookup): Promise<void> {
  const i = fingers.nextIndexToFix(successor);
  const { owner } = await lookup(fingers.start(i));
  fingers.fillFrom(i, owner);
}

/** Refreshes the whole table: about log2 N lookups thanks to FingerTable.fillFrom. */
export async function fixAllFingers(self: ChordContact, fingers: FingerTable, lookup: Lookup): Promise<void> {
  for (let i = 0; i < 160; i++) {
    const covering = i === 0 ? undefined : fingers.get(i - 1);
    if (covering && inHalfOpen(fingers.start(i), self.nodeId, covering.nodeId)) {
      fingers.set(i, covering);
      continue;
    }
    const { owner } = await lookup(fingers.start(i));
    fingers.fillFrom(i, owner);
  }
}
