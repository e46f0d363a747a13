// The lookup's failure handling, without sockets: a node that refuses is dead and the key
// passes to the next node; a node that only times out (a loaded machine) is not — the lookup
// retries it, and rather than name the next node it fails with LookupUnsureError.
import assert from 'node:assert/strict';
import { iterativeLookup, LookupUnsureError, type LookupContext } from '@node-core/chord/lookup';
import type { ChordContact, ChordRemote, LookupStep, NeighborState } from '@node-core/chord/remote';
import { P2PError } from '@node-core/wire/errors';

const peer = (nodeId: bigint): ChordContact => ({ id: `p${nodeId}`, host: '127.0.0.1', port: Number(nodeId), nodeId });
const A = peer(100n); // the origin; its successor is B
const B = peer(200n); // owns keys in (100, 200]
const C = peer(300n);
const KEY = 150n;

type Behaviour = 'ok' | 'refuse' | 'hang';

/** A ring A → B → C seen from A; `b` says how B answers getNeighbors, try by try. */
function context(b: Behaviour[]): { ctx: LookupContext; suspected: ChordContact[] } {
  const suspected: ChordContact[] = [];
  let bTries = 0;
  const neighbors: Record<string, NeighborState> = {
    [B.id]: { predecessor: A, successors: [C] },
    [C.id]: { predecessor: B, successors: [A] },
  };
  const remote = (p: ChordContact): ChordRemote =>
    ({
      peer: p,
      lookupStep: () => Promise.reject(new Error('not used')),
      getNeighbors: (signal: AbortSignal) => {
        const how = p === B ? (b[bTries++] ?? 'ok') : 'ok';
        if (how === 'refuse') return Promise.reject(new P2PError('PEER_UNREACHABLE', 'connect ECONNREFUSED'));
        if (how === 'hang') {
          return new Promise<NeighborState>((_, reject) =>
            signal.addEventListener('abort', () => reject(new P2PError('CANCELLED', 'request cancelled')), {
              once: true,
            }),
          );
        }
        return Promise.resolve(neighbors[p.id]);
      },
    }) as unknown as ChordRemote;
  const ctx: LookupContext = {
    self: A,
    // A's own answer: its first successor not avoided owns the key.
    localStep: (_key: bigint, avoid: ReadonlySet<bigint>): LookupStep => ({ owner: avoid.has(B.nodeId) ? C : B }),
    remote,
    suspect: (p) => suspected.push(p),
    localNeighbors: () => ({ predecessor: C, successors: [B, C] }),
    rpcTimeoutMs: 50,
  };
  return { ctx, suspected };
}

describe('chord lookup: dead vs slow', () => {
  it('a refusing owner is dead: the key goes to the next node', async () => {
    const { ctx, suspected } = context(['refuse']);
    const { owner } = await iterativeLookup(ctx, KEY, new AbortController().signal);
    assert.equal(owner.id, C.id);
    assert.deepEqual(
      suspected.map((p) => p.id),
      [B.id],
    );
  });

  it('an owner that misses one deadline is asked again and stays the owner', async () => {
    const { ctx, suspected } = context(['hang', 'ok']);
    const { owner } = await iterativeLookup(ctx, KEY, new AbortController().signal);
    assert.equal(owner.id, B.id);
    assert.deepEqual(suspected, []);
  });

  it('an owner that only times out is never skipped: LookupUnsureError, not a wrong owner', async () => {
    const { ctx, suspected } = context(['hang', 'hang']);
    await assert.rejects(
      iterativeLookup(ctx, KEY, new AbortController().signal),
      (err: Error) => err instanceof LookupUnsureError,
    );
    assert.deepEqual(suspected, [], 'a slow node is not reported dead');
  });
});
