// A relayed stream moving onto a direct path mid-flight (relay/migrating-stream.ts), over real
// sockets: the metaserver's relay hub on loopback and a direct TCP connection. Both ends stream
// bytes at each other the whole time; every byte arrives once and in order, the relay carries
// nothing after the move and its circuit ends, and a far end that never moves (or lies on the
// direct socket) leaves the stream working through the relay.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import { MigratingStream } from '@node-core/relay/migrating-stream';
import { RelayHub } from '@node-core/relay/relay-hub';
import { encodePreamble } from '@node-core/relay/relay-preamble';
import { waitFor } from './flood-fixture';

const TOTAL = 8 * 1024 * 1024;
const CHUNK = 64 * 1024;

describe('migrating stream: a relayed stream moves onto a direct path', function () {
  this.timeout(30_000);
  let hub: RelayHub;
  const cleanup: Array<{ destroy(): void }> = [];
  const servers: net.Server[] = [];

  beforeEach(async () => {
    hub = new RelayHub();
    await hub.listen('127.0.0.1');
  });
  afterEach(async () => {
    for (const s of cleanup.splice(0)) s.destroy();
    for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
    await hub.close();
  });

  /** The two ends of a fresh circuit through the hub, each wrapped as a movable stream. */
  async function relayedPair(): Promise<[MigratingStream, MigratingStream]> {
    const tickets = hub.open('d', 't');
    const ends = await Promise.all(
      [tickets.dialerToken, tickets.targetToken].map(async (token) => {
        const socket = await connect(hub.port);
        socket.write(encodePreamble(token));
        const stream = new MigratingStream(socket);
        stream.on('error', () => undefined);
        cleanup.push(stream);
        return stream;
      }),
    );
    return [ends[0], ends[1]];
  }

  /** A direct TCP connection on loopback: [client side, server side], both half-open as punched sockets are. */
  async function directPair(): Promise<[net.Socket, net.Socket]> {
    const server = net.createServer({ allowHalfOpen: true });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    const client = await connect((server.address() as net.AddressInfo).port);
    const [other] = await accepted;
    cleanup.push(client, other);
    return [client, other];
  }

  it('moves mid-flight both ways: every byte once and in order; the relay carries nothing after', async () => {
    const [left, right] = await relayedPair();
    // each side sends half, then the rest once its own side has moved
    let release = (): void => undefined;
    const moved = new Promise<void>((resolve) => (release = resolve));
    const leftToRight = stream(left, right, TOTAL, moved);
    const rightToLeft = stream(right, left, TOTAL, moved);
    await Promise.all([leftToRight.received(TOTAL / 8), rightToLeft.received(TOTAL / 8)]);
    const [a, b] = await directPair();
    await Promise.all([left.moveTo(a), right.moveTo(b)]);
    release();
    assert.ok(left.moved && right.moved);
    // the relay's circuit ends once both sides stopped writing to it and read it to its end
    await waitFor('the relayed circuit ends', () => hub.stats.circuitsOpen === 0);
    const carried = hub.stats.bytesCarried;
    for (const direction of [leftToRight, rightToLeft]) {
      const { sent, got } = await direction.done;
      assert.equal(got.bytes, TOTAL);
      assert.equal(got.sha256, sent, 'what arrived is what was sent, in order');
    }
    assert.ok(carried <= TOTAL, `the relay carried ${carried} of ${2 * TOTAL} bytes: the rest went direct`);
    assert.equal(hub.stats.bytesCarried, carried, 'nothing more through the relay after the move');
    assert.equal(hub.stats.ended.closed, 1);
    // and the moved streams still close cleanly, both ways
    left.end();
    right.end();
    await Promise.all([once(left, 'close'), once(right, 'close')]);
  });

  it('a far end that sends no marker, or a wrong one, leaves the stream relayed and whole', async () => {
    const [left, right] = await relayedPair();
    const [a, b] = await directPair();
    await assert.rejects(left.moveTo(a, 300), /no move marker in time/);
    assert.equal(left.moved, false);
    const [c, d] = await directPair();
    d.write('P2PMOVE0');
    await assert.rejects(left.moveTo(c), /not a move marker/);
    b.destroy();
    d.destroy();
    const leftToRight = stream(left, right, 1024 * 1024);
    const { sent, got } = await leftToRight.done;
    assert.equal(got.sha256, sent);
    left.end();
    right.end();
    await waitFor('the relayed circuit ends', () => hub.stats.circuitsOpen === 0);
    assert.ok(hub.stats.bytesCarried >= 1024 * 1024, 'it all went through the relay');
  });
});

/** Writes `total` random bytes from `from` (the second half once `gate` resolves), hashing; reads as many at `to`. */
function stream(from: MigratingStream, to: MigratingStream, total = TOTAL, gate: Promise<void> = Promise.resolve()) {
  const sentHash = createHash('sha256');
  const gotHash = createHash('sha256');
  let got = 0;
  const waiters: Array<{ at: number; wake: () => void }> = [];
  to.on('data', (chunk: Buffer) => {
    gotHash.update(chunk);
    got += chunk.length;
    for (const w of waiters.filter((w) => got >= w.at)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.wake();
    }
  });
  const arrived = new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
    waiters.push({ at: total, wake: () => resolve({ bytes: got, sha256: gotHash.digest('hex') }) });
    to.once('close', () => reject(new Error(`closed after ${got} of ${total} bytes`)));
  });
  const sending = (async () => {
    for (let sent = 0; sent < total; sent += CHUNK) {
      if (sent === total / 2) await gate;
      const chunk = randomBytes(Math.min(CHUNK, total - sent));
      sentHash.update(chunk);
      if (!from.write(chunk)) await once(from, 'drain');
    }
    return sentHash.digest('hex');
  })();
  return {
    received: (at: number) => new Promise<void>((wake) => (got >= at ? wake() : waiters.push({ at, wake }))),
    done: Promise.all([sending, arrived]).then(([sent, got_]) => ({ sent, got: got_ })),
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}
