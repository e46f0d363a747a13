// Bad input on real sockets, aimed at a metaserver and at a flood peer: garbage, a huge length
// prefix, half a frame then silence (before and after the handshake), and hundreds of idle
// connections. Each abusive socket must be closed by the server (quickly for malformed bytes,
// by the handshake/idle timeouts for silence), and afterwards both must still serve real
// peers: registration, referral, search and a verified download.
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { readFile } from 'node:fs/promises';
import type { Address } from '@node-core/events';
import { encodeFrame, FrameDecoder, PROTOCOL_VERSION } from '@node-core/wire';
import type { RawFrame } from '@node-core/wire/frame';
import type { MetadataServer } from '@node-core/metaserver';
import { FloodFixture, waitFor } from './flood-fixture';
import { handshaken } from './raw-wire';

const HANDSHAKE_MS = 1500;
const IDLE_MS = 1500;

function rawSocket(address: Address): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: address.host, port: address.port }, () => {
      s.off('error', reject);
      s.on('error', () => undefined); // a reset by the server is the expected outcome
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Resolves with the ms it took the server to close `socket`, or rejects after `ms`. */
function closedWithin(socket: net.Socket, ms: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve(0);
    const t = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(t);
      resolve(Date.now() - started);
    });
    socket.resume(); // read (and drop) whatever the server says, e.g. its hello and error frame
  });
}

const hugeLength = (): Buffer => Buffer.from([0xff, 0xff, 0xff, 0xf0, 0, 1, 0x7b]);
/** The first half of a valid request frame: the length promises bytes that never come. */
const halfFrame = (): Buffer => {
  const frame = encodeFrame({
    v: PROTOCOL_VERSION,
    t: 'chunk-get',
    rid: 1,
    name: 'x.bin',
    root: 'a'.repeat(64),
    index: 0,
  });
  return frame.subarray(0, Math.floor(frame.length / 2));
};

describe('robustness: bad input and idle sockets on the metaserver and a peer', function () {
  this.timeout(40_000);
  const fixture = new FloodFixture();
  const sockets: net.Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await fixture.cleanup();
  });

  async function network(): Promise<{ ms: MetadataServer; content: Buffer; targets: Array<[string, Address]> }> {
    const ms = await fixture.metaserver({ handshakeTimeoutMs: HANDSHAKE_MS, peerTimeoutMs: IDLE_MS });
    const content = randomBytes(4 * 1024 * 1024 + 17);
    const holder = await fixture.peer(
      'holder',
      { metaserver: ms.address, handshakeTimeoutMs: HANDSHAKE_MS, peerTimeoutMs: IDLE_MS },
      { 'real.bin': content },
    );
    return {
      ms,
      content,
      targets: [
        ['metaserver', ms.address],
        ['peer', holder.address],
      ],
    };
  }

  /** A newcomer registers, is referred to the holder, finds and downloads real.bin intact. */
  async function realPeersStillServed(ms: MetadataServer, content: Buffer, id: string): Promise<void> {
    const fresh = await fixture.peer(id, { metaserver: ms.address });
    assert.ok(ms.registry.has(id), 'registration failed');
    await waitFor(`${id} linked to the holder`, () => fresh.neighbors().some((n) => n.id === 'holder'), 5000);
    const found = await fresh.search('real.bin');
    assert.equal(found.length, 1);
    assert.ok(
      found[0].holders.some((h) => h.id === 'holder'),
      'the holder did not answer',
    );
    // from the abused holder itself (earlier newcomers hold a copy too by now)
    const done = await fresh.get('real.bin', {
      result: { ...found[0], holders: found[0].holders.filter((h) => h.id === 'holder') },
    });
    assert.deepEqual(done.sources, ['holder']);
    assert.ok((await readFile(done.path)).equals(content), 'downloaded bytes differ');
  }

  it('closes sockets sending garbage, a huge length prefix or half a frame, and keeps serving', async () => {
    const { ms, content, targets } = await network();
    for (const [what, address] of targets) {
      const cases: Array<[string, () => Promise<net.Socket>, Buffer, number]> = [
        ['garbage before the handshake', () => rawSocket(address), randomBytes(4096), 2000],
        ['huge length before the handshake', () => rawSocket(address), hugeLength(), 2000],
        [
          'garbage after the handshake',
          () => handshaken(address),
          Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
          2000,
        ],
        ['huge length after the handshake', () => handshaken(address), hugeLength(), 2000],
        // silence: only the timeouts can end these, and they must
        [
          'half a frame, then silence, before the handshake',
          () => rawSocket(address),
          halfFrame(),
          HANDSHAKE_MS + 2000,
        ],
        ['half a frame, then silence, after the handshake', () => handshaken(address), halfFrame(), IDLE_MS + 2000],
      ];
      for (const [name, open, bytes, ms] of cases) {
        const socket = await open();
        sockets.push(socket);
        socket.write(bytes);
        await closedWithin(socket, ms).catch((err: Error) => assert.fail(`${what}, ${name}: ${err.message}`));
      }
    }
    await realPeersStillServed(ms, content, 'fresh');
  });

  it('serves real peers while 300 idle sockets sit on each, then times every idle one out', async () => {
    const { ms, content, targets } = await network();
    const idle: net.Socket[] = [];
    for (const [, address] of targets) {
      // half of them never say hello, half finish the handshake and then say nothing
      for (let i = 0; i < 300; i++) idle.push(await (i % 2 === 0 ? rawSocket(address) : handshaken(address)));
    }
    sockets.push(...idle);
    const closes = idle.map((s) => closedWithin(s, HANDSHAKE_MS + IDLE_MS + 8000));
    await realPeersStillServed(ms, content, 'busy');
    const times = await Promise.all(closes);
    assert.equal(times.length, 600);
    // the idle sockets are gone and nothing else was: the network is still whole
    await waitFor('metaserver still knows both', () => ms.registry.has('holder') && ms.registry.has('busy'), 3000);
    await realPeersStillServed(ms, content, 'after');
  });

  it('a connection asking for chunks it never reads costs the holder at most 8; too many close it', async () => {
    const { ms, content, targets } = await network();
    const holderAddress = targets[1][1];
    const holder = fixture.peers.find((p) => p.id === 'holder')!;
    const { root, chunkSize } = await holder.store.manifest('real.bin');
    const chunks = Math.ceil(content.length / chunkSize);
    const request = (rid: number): Buffer =>
      encodeFrame({ v: PROTOCOL_VERSION, t: 'chunk-get', rid, name: 'real.bin', root, index: rid % chunks });

    // 40 requests, then nothing read for a while: the holder reads at most 8 chunks into memory
    const slow = await handshaken(holderAddress);
    sockets.push(slow);
    slow.pause();
    const allocatedBefore = holder.store.chunkBuffersAllocated;
    for (let rid = 1; rid <= 40; rid++) slow.write(request(rid));
    await sleep(1000);
    const allocated = holder.store.chunkBuffersAllocated - allocatedBefore;
    assert.ok(allocated <= 8, `the holder allocated ${allocated} chunk buffers for a connection that does not read`);
    // then it reads: every answer arrives, whole and right
    const answers = await framesFrom(
      slow,
      (frames) => frames.filter((f) => (f.header as { t: string }).t === 'chunk').length === 40,
    );
    for (const frame of answers) {
      const { re, index } = frame.header as { re: number; index: number };
      assert.equal(index, re % chunks);
      assert.ok(
        frame.payload.equals(content.subarray(index * chunkSize, (index + 1) * chunkSize)),
        `chunk ${index} intact`,
      );
    }

    // 200 requests at once: more than 64 waiting is a protocol violation, and the connection goes
    const greedy = await handshaken(holderAddress);
    sockets.push(greedy);
    // once the peer has taken the connection (before that, more than 64 early messages close it too)
    await sleep(200);
    greedy.write(Buffer.concat(Array.from({ length: 200 }, (_, i) => request(i + 1))));
    const frames = await framesFrom(greedy, () => false);
    const refusal = frames.find((f) => (f.header as { t: string }).t === 'error');
    assert.ok(refusal, 'no error frame before the close');
    assert.equal((refusal.header as { code: string }).code, 'PROTOCOL');
    assert.match((refusal.header as { message: string }).message, /chunk requests waiting/);
    assert.ok(frames.filter((f) => (f.header as { t: string }).t === 'chunk').length < 200);

    await realPeersStillServed(ms, content, 'after-greedy');
  });

  it('a chunk-get for a root the holder does not serve gets NOT_SHARED naming that root; the link stays', async () => {
    const { targets } = await network();
    const holder = fixture.peers.find((p) => p.id === 'holder')!;
    const { root } = await holder.store.manifest('real.bin');
    const unknown = 'c'.repeat(64);
    const socket = await handshaken(targets[1][1]);
    sockets.push(socket);
    const ask = (rid: number, asked: string): Buffer =>
      encodeFrame({ v: PROTOCOL_VERSION, t: 'chunk-get', rid, name: 'real.bin', root: asked, index: 0 });
    socket.write(Buffer.concat([ask(1, unknown), ask(2, root)]));
    const frames = await framesFrom(socket, (got) => got.length >= 2);
    const answer = (rid: number) => frames.find((f) => (f.header as { re?: number }).re === rid)?.header;
    const refusal = answer(1) as { t: string; code: string; message: string };
    assert.equal(refusal.t, 'error');
    assert.equal(refusal.code, 'NOT_SHARED');
    assert.match(refusal.message, new RegExp(`"real\\.bin" is not shared here with root ${unknown}`));
    assert.equal((answer(2) as { t: string }).t, 'chunk', 'the same connection still serves the version it holds');
  });
});

/** Reads `socket` (resuming it) and decodes its frames until `enough` says so or the socket closes. */
function framesFrom(socket: net.Socket, enough: (frames: RawFrame[]) => boolean): Promise<RawFrame[]> {
  const decoder = new FrameDecoder();
  const frames: RawFrame[] = [];
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`only ${frames.length} frames within 15 s`)), 15_000);
    const done = (): void => {
      clearTimeout(t);
      socket.off('data', onData);
      resolve(frames);
    };
    const onData = (bytes: Buffer): void => {
      frames.push(...decoder.push(bytes));
      if (enough(frames)) done();
    };
    socket.on('data', onData);
    socket.once('close', done);
    socket.resume();
  });
}
