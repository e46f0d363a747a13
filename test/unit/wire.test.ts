// The wire layer over real loopback sockets: frame codec, the one decoder's refusals,
// handshake with and without the network key, request/response, and closing.
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import {
  Connection,
  decodeMessage,
  dial,
  encodeFrame,
  FrameDecoder,
  MAX_FRAME_BYTES,
  P2PError,
  payloadWithHeadroom,
  PROTOCOL_VERSION,
  WireServer,
  type ConnectionOptions,
} from '@node-core/wire';
import { encodeFramePrefix, FRAME_HEADROOM, framed } from '@node-core/wire/frame';
import { handshaken, rawTls } from './raw-wire';

async function pair(serverOptions: ConnectionOptions = {}, clientOptions: ConnectionOptions = {}) {
  const server = new WireServer(serverOptions);
  const address = await server.listen('127.0.0.1', 0);
  const accepted = new Promise<Connection>((resolve) => server.once('connection', resolve));
  const client = await dial(address, clientOptions);
  return { server, client, remote: await accepted, address };
}

function rawSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
    socket.resume();
  });
}

describe('wire: frame codec', () => {
  it('round-trips a header and a raw payload, split at every byte boundary', () => {
    const payload = Buffer.from([0, 1, 2, 255, 254]);
    const frame = encodeFrame({ v: 2, t: 'chunk', name: 'a.txt', index: 3 }, payload);
    for (let cut = 0; cut <= frame.length; cut++) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(frame.subarray(0, cut)), ...decoder.push(frame.subarray(cut))];
      assert.equal(frames.length, 1);
      assert.deepEqual(frames[0].header, { v: 2, t: 'chunk', name: 'a.txt', index: 3 });
      assert.deepEqual(frames[0].payload, payload);
    }
  });

  it('decodes several frames from one chunk', () => {
    const two = Buffer.concat([encodeFrame({ v: 2, t: 'ping' }), encodeFrame({ v: 2, t: 'ok' })]);
    assert.equal(new FrameDecoder().push(two).length, 2);
  });

  it('refuses oversized frames, bad header lengths and non-JSON headers', () => {
    const big = Buffer.alloc(4);
    big.writeUInt32BE(MAX_FRAME_BYTES + 1);
    assert.throws(() => new FrameDecoder().push(big), P2PError);
    const zeroHeader = Buffer.from([0, 0, 0, 2, 0, 0]);
    assert.throws(() => new FrameDecoder().push(zeroHeader), /header length/);
    const junk = Buffer.concat([Buffer.from([0, 0, 0, 5, 0, 3]), Buffer.from('{x}')]);
    assert.throws(() => new FrameDecoder().push(junk), /not JSON/);
  });
});

describe('wire: message table decoder', () => {
  const ok = (h: object, p = Buffer.alloc(0)) => decodeMessage(h, p);
  const bad = (h: unknown, p = Buffer.alloc(0)) =>
    assert.throws(
      () => decodeMessage(h, p),
      (e: unknown) => e instanceof P2PError && e.code === 'PROTOCOL',
    );

  it('accepts valid messages', () => {
    ok({ v: 3, t: 'join', id: 's1', host: '127.0.0.1', port: 4000 });
    ok({ v: 3, t: 'chunk', name: 'f.bin', index: 0, re: 4 }, Buffer.alloc(10));
    ok({ v: 3, t: 'register', id: '', host: 'h', port: 1, mode: 'flood', flag: 'P2P' });
  });

  it('refuses wrong version, unknown type, missing or mistyped fields', () => {
    bad(null);
    bad([1]);
    bad({ v: 1, t: 'ping' }); // the cleartext protocol before TLS
    bad({ v: 2, t: 'ping' }); // versions named by their whole-file SHA-256
    bad({ v: 4, t: 'ping' });
    bad({ v: 3, t: 'nonsense' });
    bad({ v: 3, t: '__proto__' });
    bad({ v: 3, t: 'join', id: 's1', host: '127.0.0.1' });
    bad({ v: 3, t: 'join', id: 's1', host: '127.0.0.1', port: 70000 });
    bad({ v: 3, t: 'join', id: 'x'.repeat(65), host: 'h', port: 1 });
    bad({ v: 3, t: 'join', id: 'has space', host: 'h', port: 1 });
    bad({ v: 3, t: 'ping', rid: -1 });
    bad({ v: 3, t: 'hit', qid: 'ab', name: 'f', size: 1, root: 'zz', holder: { id: 'a', host: 'h', port: 1 } });
  });

  it('names a file version by its root alone: version 2 and its sha256-only messages are refused', () => {
    const holder = { id: 'a', host: 'h', port: 1 };
    const root = 'b'.repeat(64);
    ok({ v: 3, t: 'hit', qid: 'ab', name: 'f', size: 1, root, holder });
    ok({ v: 3, t: 'chunk-get', name: 'f', root, index: 0 });
    ok({ v: 3, t: 'manifest', name: 'f', size: 1, chunkSize: 1, chunks: 1 }, Buffer.alloc(32));
    bad({ v: 2, t: 'hit', qid: 'ab', name: 'f', size: 1, sha256: root, root, holder }); // an older build
    bad({ v: 3, t: 'chunk-get', name: 'f', sha256: root, index: 0 }); // a version named by its SHA-256
    bad({ v: 3, t: 'chunk-get', name: 'f', root: 'B'.repeat(64), index: 0 });
  });

  it('refuses traversal and control characters in file names', () => {
    for (const name of ['../x', 'a/b', 'a\\b', '..', 'a\u0000b', '', 'x'.repeat(256)]) {
      bad({ v: 3, t: 'manifest-get', name });
    }
  });

  it('enforces payload rules', () => {
    bad({ v: 3, t: 'ping' }, Buffer.alloc(1));
    bad({ v: 3, t: 'chunk', name: 'f', index: 0 });
  });
});

describe('wire: connections', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it('handshakes, answers requests by id and carries raw payloads', async () => {
    const { server, client, remote } = await pair();
    cleanups.push(
      () => server.close(),
      () => client.close(),
    );
    remote.setHandler((incoming, conn) => {
      if (incoming.msg.t === 'chunk-get') {
        void conn.reply(
          incoming,
          { t: 'chunk', name: incoming.msg.name, index: incoming.msg.index },
          Buffer.from([incoming.msg.index]),
        );
      }
    });
    const answers = await Promise.all(
      [7, 8, 9].map((index) => client.request({ t: 'chunk-get', name: 'f', root: 'a'.repeat(64), index })),
    );
    assert.deepEqual(
      answers.map((a) => a.payload[0]),
      [7, 8, 9],
    );
  });

  it('turns an error answer into a rejected request with its code', async () => {
    const { server, client, remote } = await pair();
    cleanups.push(
      () => server.close(),
      () => client.close(),
    );
    remote.setHandler((incoming, conn) => void conn.replyError(incoming, new P2PError('NOT_SHARED', 'no such file')));
    await assert.rejects(
      client.request({ t: 'manifest-get', name: 'x' }),
      (e: unknown) => e instanceof P2PError && e.code === 'NOT_SHARED',
    );
  });

  it('times out and aborts requests', async () => {
    const { server, client, remote } = await pair();
    cleanups.push(
      () => server.close(),
      () => client.close(),
    );
    remote.setHandler(() => undefined);
    await assert.rejects(client.request({ t: 'neighbors-get' }, { timeoutMs: 50 }), /within 50 ms/);
    const ac = new AbortController();
    const pending = client.request({ t: 'neighbors-get' }, { signal: ac.signal });
    ac.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof P2PError && e.code === 'CANCELLED');
    assert.equal(client.isOpen, true);
  });

  it('authenticates both ways with the same key', async () => {
    const { server, client } = await pair({ key: 'secret' }, { key: 'secret' });
    cleanups.push(
      () => server.close(),
      () => client.close(),
    );
    assert.equal(client.isOpen, true);
  });

  it('refuses a wrong key and a missing key on either side', async () => {
    const server = new WireServer({ key: 'secret' });
    cleanups.push(() => server.close());
    const address = await server.listen('127.0.0.1', 0);
    const isAuth = (e: unknown) => e instanceof P2PError && e.code === 'AUTH_FAILED';
    await assert.rejects(dial(address, { key: 'wrong' }), isAuth);
    await assert.rejects(dial(address, {}), isAuth);
    const open = new WireServer({});
    cleanups.push(() => open.close());
    await assert.rejects(dial(await open.listen('127.0.0.1', 0), { key: 'secret' }), isAuth);
    assert.equal(server.openConnections, 0);
  });

  it('closes a connection that sends garbage, and keeps serving others', async () => {
    const { server, client, remote, address } = await pair();
    cleanups.push(
      () => server.close(),
      () => client.close(),
    );
    remote.setHandler((incoming, conn) => void conn.reply(incoming, { t: 'ok' }));
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
    // in the clear, it is no TLS at all
    let rejected = new Promise<P2PError>((resolve) => server.once('rejected', resolve));
    const raw = await rawSocket(address.port);
    cleanups.push(() => raw.destroy());
    raw.write(garbage);
    assert.equal(await closedWithin(raw, 2000), true);
    assert.equal((await rejected).code, 'HANDSHAKE_FAILED');
    // inside TLS, it is no frame
    rejected = new Promise<P2PError>((resolve) => server.once('rejected', resolve));
    const inside = await rawTls(address);
    cleanups.push(() => inside.destroy());
    inside.write(garbage);
    assert.equal(await closedWithin(inside, 2000), true);
    assert.equal((await rejected).code, 'PROTOCOL');
    const answer = await client.request({ t: 'neighbors-get' });
    assert.equal(answer.msg.t, 'ok');
  });

  it('closes on an unexpected or invalid message after the handshake', async () => {
    const { server, client, remote } = await pair();
    cleanups.push(
      () => server.close(),
      () => client.close(),
    );
    remote.setHandler(() => undefined);
    const closed = new Promise<P2PError | undefined>((resolve) => remote.once('close', resolve));
    await client.send({ t: 'hello', proto: PROTOCOL_VERSION, id: '', auth: false });
    assert.equal((await closed)?.code, 'PROTOCOL');
  });

  it("refuses an older build's hello (protocol 2) with a PROTOCOL error that names its version", async () => {
    const server = new WireServer();
    cleanups.push(() => server.close());
    const address = await server.listen('127.0.0.1', 0);
    const socket = await rawTls(address);
    cleanups.push(() => socket.destroy());
    socket.write(encodeFrame({ v: 2, t: 'hello', proto: 2, id: '', auth: false }));
    const decoder = new FrameDecoder();
    const refusal = await new Promise<Record<string, unknown>>((resolve, reject) => {
      socket.on('data', (bytes: Buffer) => {
        for (const frame of decoder.push(bytes)) resolve(frame.header as Record<string, unknown>);
      });
      socket.once('close', () => reject(new Error('closed without an error frame')));
    });
    assert.equal(refusal.t, 'error');
    assert.equal(refusal.code, 'PROTOCOL');
    assert.match(String(refusal.message), /protocol version 2/);
  });

  it('times out a silent handshake and an idle connection', async () => {
    const server = new WireServer({ handshakeTimeoutMs: 100 });
    cleanups.push(() => server.close());
    const address = await server.listen('127.0.0.1', 0);
    const raw = await rawSocket(address.port);
    cleanups.push(() => raw.destroy());
    assert.equal(await closedWithin(raw, 2000), true);

    const idle = await pair({ idleTimeoutMs: 100 }, { idleTimeoutMs: 0 });
    cleanups.push(
      () => idle.server.close(),
      () => idle.client.close(),
    );
    const closed = new Promise<P2PError | undefined>((resolve) => idle.remote.once('close', resolve));
    assert.match((await closed)?.message ?? '', /no traffic/);
  });

  const MIB = 1024 * 1024;
  const ROOT = 'a'.repeat(64);
  /** Answers every chunk-get on `conn` with 1 MiB filled with the chunk's index, one reply after another. */
  function serveChunks(conn: Connection): void {
    let replies = Promise.resolve();
    conn.setHandler((incoming) => {
      const { msg } = incoming;
      if (msg.t !== 'chunk-get') return;
      replies = replies
        .then(() =>
          conn.reply(incoming, { t: 'chunk', name: msg.name, index: msg.index }, Buffer.alloc(MIB, msg.index)),
        )
        .catch(() => undefined);
    });
  }

  it('sends megabytes with backpressure and in order, each payload whole in a buffer of its own', async () => {
    const { server, client, remote } = await pair();
    cleanups.push(
      () => server.close(),
      () => client.close(),
    );
    serveChunks(remote);
    const arrived: number[] = [];
    const answers = await Promise.all(
      Array.from({ length: 64 }, (_, index) =>
        client
          .request({ t: 'chunk-get', name: 'f', root: ROOT, index })
          .then((answer) => (arrived.push(index), answer)),
      ),
    );
    assert.deepEqual(arrived, [...Array(64).keys()]);
    for (const [index, answer] of answers.entries()) {
      assert.equal(answer.msg.t === 'chunk' && answer.msg.index, index);
      assert.ok(answer.payload.equals(Buffer.alloc(MIB, index)), `chunk ${index} intact`);
      // its own memory, so the downloader can move it to a worker thread and get it back
      assert.equal(answer.payload.byteOffset, 0);
      assert.equal(answer.payload.buffer.byteLength, MIB);
    }
    assert.equal(new Set(answers.map((a) => a.payload.buffer)).size, 64);
  });

  it('sends payloads with headroom as one buffer each, intact and in order among other messages', async () => {
    const { server, client, remote } = await pair();
    cleanups.push(
      () => server.close(),
      () => client.close(),
    );
    const released: number[] = [];
    remote.setHandler((incoming) => {
      const { msg } = incoming;
      if (msg.t === 'ping') return void remote.reply(incoming, { t: 'ok' });
      if (msg.t !== 'chunk-get') return;
      const payload = payloadWithHeadroom(MIB - msg.index); // lengths differ, as a file's last chunk does
      payload.fill(msg.index);
      void remote.reply(incoming, { t: 'chunk', name: msg.name, index: msg.index }, payload, () =>
        released.push(msg.index),
      );
    });
    const requests = Array.from({ length: 24 }, (_, index) => [
      client.request({ t: 'chunk-get', name: 'f', root: ROOT, index }),
      client.request({ t: 'ping' }),
    ]).flat();
    const answers = await Promise.all(requests);
    for (let index = 0; index < 24; index++) {
      const answer = answers[2 * index];
      assert.equal(answer.msg.t === 'chunk' && answer.msg.index, index);
      assert.ok(answer.payload.equals(Buffer.alloc(MIB - index, index)), `chunk ${index} intact`);
      assert.equal(answers[2 * index + 1].msg.t, 'ok');
    }
    for (let i = 0; i < 500 && released.length < 24; i++) await sleep(10);
    assert.deepEqual(released, [...Array(24).keys()]);
  });

  it("writes a prefix into a payload's headroom only when it has that headroom and the prefix fits", () => {
    const payload = payloadWithHeadroom(8).fill(7);
    const prefix = encodeFramePrefix({ t: 'chunk', name: 'f', index: 1 }, payload.length);
    const frame = framed(prefix, payload);
    assert.ok(frame && frame.buffer === payload.buffer, "the frame shares the payload's memory");
    assert.deepEqual(new FrameDecoder().push(frame)[0].payload, payload);
    assert.equal(framed(prefix, Buffer.alloc(8)), undefined);
    assert.equal(framed(prefix, payload.subarray(1)), undefined);
    const long = encodeFramePrefix({ t: 'chunk', name: 'x'.repeat(FRAME_HEADROOM), index: 1 }, payload.length);
    assert.equal(framed(long, payload), undefined);
  });

  it('reads past a payload nobody asked for (unsolicited, or late), keeps none of it, stays open', async () => {
    const { server, client, remote } = await pair();
    cleanups.push(
      () => server.close(),
      () => client.close(),
    );
    const unexpected: string[] = [];
    client.setHandler((incoming) => unexpected.push(incoming.msg.t));
    // a chunk answering nothing, then a late answer to a request the client gave up on
    await remote.send({ t: 'chunk', name: 'f', index: 0, re: 999 }, Buffer.alloc(MIB, 1));
    let late: Promise<void> | undefined;
    remote.setHandler((incoming) => {
      if (incoming.msg.t === 'chunk-get')
        late = sleep(150).then(() => remote.reply(incoming, { t: 'chunk', name: 'f', index: 0 }, Buffer.alloc(MIB, 2)));
    });
    await assert.rejects(
      client.request({ t: 'chunk-get', name: 'f', root: ROOT, index: 0 }, { timeoutMs: 50 }),
      /within 50 ms/,
    );
    await sleep(200);
    await late;
    serveChunks(remote);
    const answer = await client.request({ t: 'chunk-get', name: 'f', root: ROOT, index: 5 });
    assert.ok(answer.payload.equals(Buffer.alloc(MIB, 5)));
    assert.ok(client.isOpen && remote.isOpen);
    assert.deepEqual(unexpected, []);
    // the accepted side skips the same way (its socket reads through 'data', not a reused buffer)
    const seenByRemote: string[] = [];
    remote.setHandler((incoming) => seenByRemote.push(incoming.msg.t));
    await client.send({ t: 'chunk', name: 'f', index: 1 }, Buffer.alloc(MIB, 3));
    await client.send({ t: 'ping' });
    for (let i = 0; i < 100 && seenByRemote.length === 0; i++) await sleep(10);
    assert.deepEqual(seenByRemote, ['ping']);
    assert.ok(remote.isOpen);
  });

  const payloadKinds: Array<[string, () => Buffer]> = [
    ['a plain buffer', () => Buffer.alloc(MIB, 7)],
    ['a buffer with headroom (one frame at a time)', () => payloadWithHeadroom(MIB).fill(7)],
  ];
  for (const [kind, makePayload] of payloadKinds)
    it(`says when a payload buffer is free again: once written, or once the connection died (${kind})`, async () => {
      const { server, client, remote } = await pair();
      cleanups.push(
        () => server.close(),
        () => client.close(),
      );
      let released = 0;
      let replied = 0;
      // every answer written at once (no waiting for drain), so most of them queue behind a full socket
      client.setHandler((incoming) => {
        const { msg } = incoming;
        if (msg.t !== 'chunk-get') return;
        replied++;
        client
          .reply(incoming, { t: 'chunk', name: msg.name, index: msg.index }, makePayload(), () => released++)
          .catch(() => undefined);
      });
      const until = async (what: string, ok: () => boolean): Promise<void> => {
        for (let i = 0; i < 500 && !ok(); i++) await sleep(10);
        assert.ok(ok(), what);
      };
      const answers = await Promise.all(
        [0, 1, 2, 3].map((index) => remote.request({ t: 'chunk-get', name: 'f', root: ROOT, index })),
      );
      assert.equal(answers.length, 4);
      await until('4 delivered and released', () => released === 4);
      // 16 MiB asked for, queued behind a full socket, then the answering side closes: every buffer comes back
      const queued = Array.from({ length: 16 }, (_, index) =>
        remote.request({ t: 'chunk-get', name: 'f', root: ROOT, index }).catch(() => undefined),
      );
      await until('every answer handed to the socket', () => replied === 20);
      client.close();
      await Promise.all(queued);
      await until('all 20 released after the close', () => released === 20);
    });

  it('closes a connection whose remote stops reading once too much is queued for it', async () => {
    const server = new WireServer({ maxQueuedBytes: 4 * MIB });
    cleanups.push(() => server.close());
    const address = await server.listen('127.0.0.1', 0);
    const accepted = new Promise<Connection>((resolve) => server.once('connection', resolve));
    // a remote that says hello and then never reads another byte
    const raw = await handshaken(address);
    cleanups.push(() => raw.destroy());
    const conn = await accepted;
    raw.pause();
    let sent = 0;
    let refusal: unknown;
    for (; sent < 200 && refusal === undefined; sent++) {
      // not awaited: a sender that does not wait for drain, the case the cap is for
      conn.send({ t: 'ping' }, Buffer.alloc(MIB)).catch((err: unknown) => (refusal ??= err));
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(refusal instanceof P2PError && /not reading/.test(refusal.message), `still open after ${sent} MiB`);
    assert.ok(sent < 200);
    assert.equal(conn.isOpen, false);
  });
});
