// A registered peer written by hand: the metaserver's address check answered by a listener of
// its own, then a raw link (hostile-wire.ts) to send whatever a test wants as that peer.
import assert from 'node:assert/strict';
import type { MetadataServer } from '@node-core/metaserver';
import { proofListener } from '../flood-fixture';
import { RawPeer } from '../hostile-wire';

/** Registers `id` at the metaserver by hand, its address proved by a listener of its own. */
export async function registerByHand(ms: MetadataServer, id: string, cleanup: Array<() => unknown>): Promise<RawPeer> {
  const listener = await proofListener(id);
  cleanup.push(() => listener.close());
  // the registering link shows the listener's key, as the address check requires
  const raw = await RawPeer.connect(ms.address, { id, identity: listener.security.identity });
  cleanup.push(() => raw.close());
  const { host, port } = listener.address;
  raw.send({ t: 'register', rid: 1, id, host, port, mode: 'flood', flag: 'p2p' });
  const challenge = await raw.next((h) => h.t === 'address-challenge');
  listener.proof.remember(String(challenge.token));
  raw.reply(challenge, { t: 'ok' });
  const answer = await raw.next((h) => h.re === 1);
  assert.equal(answer.t, 'registered', JSON.stringify(answer));
  return raw;
}
