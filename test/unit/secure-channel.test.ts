// Encrypted, authenticated links: what crosses the wire during a real search and GET is
// ciphertext, and hostile peers written against the protocol (raw TLS + the frame encoder) are
// refused each with its own code, before anything is served.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { join } from 'node:path';
import type { Address } from '@node-core/events';
import {
  dial,
  ephemeralSecurity,
  FrameDecoder,
  loadNodeSecurity,
  NodeIdentity,
  P2PError,
  PROTOCOL_VERSION,
  readAllowList,
  TrustStore,
  WireServer,
  type ChannelSecurity,
  type Connection,
} from '@node-core/wire';
import type { RawFrame } from '@node-core/wire/frame';
import { FloodFixture, waitFor } from './flood-fixture';
import { helloFrame, rawTls } from './raw-wire';
import { RecordingProxy } from './recording-proxy';

const code = (expected: string) => (err: unknown) => err instanceof P2PError && err.code === expected;

/** A server that counts what it accepted and answers any request with `ok`: "served" means a reply. */
async function servingServer(options: ConstructorParameters<typeof WireServer>[0]) {
  const server = new WireServer(options);
  const accepted: Connection[] = [];
  const rejected: P2PError[] = [];
  server.on('connection', (conn) => {
    accepted.push(conn);
    conn.setHandler((incoming, c) => void c.reply(incoming, { t: 'ok' }).catch(() => undefined));
  });
  server.on('rejected', (err) => rejected.push(err));
  const address = await server.listen('127.0.0.1', 0);
  return { server, address, accepted, rejected };
}

/** Every frame the remote sent on `socket` until it closed it (bounded by `ms`). */
function framesUntilClosed(socket: net.Socket, ms = 3000): Promise<RawFrame[]> {
  const decoder = new FrameDecoder();
  const frames: RawFrame[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    socket.on('data', (bytes: Buffer) => frames.push(...decoder.push(bytes)));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(frames);
    });
  });
}

describe('secure channel: nothing in the clear', function () {
  this.timeout(30_000);
  const net_ = new FloodFixture();
  const proxies: RecordingProxy[] = [];
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    await net_.cleanup();
  });

  async function proxyTo(target: Address): Promise<{ proxy: RecordingProxy; address: Address }> {
    const proxy = new RecordingProxy(target);
    proxies.push(proxy);
    return { proxy, address: await proxy.listen() };
  }

  it('a recorded registration, search and GET show no marker, no file name, no search text', async () => {
    const marker = `MARKER-${randomBytes(8).toString('hex')}`;
    const name = `plans-${randomBytes(4).toString('hex')}.txt`;
    const content = Buffer.from(`${marker}\n`.repeat(40_000)); // ~1 MiB: several chunks
    const ms = await net_.metaserver({ key: 'sesame' });
    const toMetaserver = await proxyTo(ms.address!);
    const holder = await net_.peer('holder', { metaserver: toMetaserver.address, key: 'sesame' }, { [name]: content });
    const toHolder = await proxyTo(holder.address);
    const getter = await net_.peer('getter', { join: { ...toHolder.address }, key: 'sesame', metaserver: ms.address });
    await waitFor('getter linked to holder', () => getter.neighbors().some((n) => n.id === 'holder'));
    const [found] = await getter.search(name);
    assert.ok(found, 'the search went through the proxied link');
    const done = await getter.get(name, { result: { ...found, holders: [{ id: 'holder', ...toHolder.address }] } });
    assert.deepEqual(await readFile(done.path), content);

    const recording = Buffer.concat([toMetaserver.proxy.recording(), toHolder.proxy.recording()]);
    assert.ok(recording.length > content.length, `the file crossed the proxy (${recording.length} bytes recorded)`);
    for (const secret of [marker, name, name.slice(0, 10), 'sesame', 'manifest-get', '"t":"query"']) {
      assert.equal(recording.indexOf(secret), -1, `"${secret}" appears in the clear`);
    }
    // and what did cross is TLS: every connection opens with a handshake record (type 22)
    for (const conn of [...toMetaserver.proxy.connections, ...toHolder.proxy.connections]) {
      assert.equal(conn.up[0][0], 0x16, 'a TLS handshake record');
    }
  });
});

describe('secure channel: hostile peers', function () {
  this.timeout(20_000);
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function serve(options: ConstructorParameters<typeof WireServer>[0]) {
    const s = await servingServer(options);
    cleanups.push(() => s.server.close());
    return s;
  }

  it('a wrong network key: AUTH_FAILED, and the listener says nothing but the refusal', async () => {
    const { address, accepted } = await serve({ key: 'right', security: ephemeralSecurity('server') });
    await assert.rejects(dial(address, { key: 'wrong', security: ephemeralSecurity('x') }), code('AUTH_FAILED'));
    await assert.rejects(dial(address, { security: ephemeralSecurity('y') }), code('AUTH_FAILED'));
    // raw: a made-up proof, then read everything the listener sends back
    const raw = await rawTls(address);
    cleanups.push(() => raw.destroy());
    const frames = framesUntilClosed(raw);
    raw.write(await helloFrame(raw, { id: 'z', proof: 'ab'.repeat(32) }));
    const said = (await frames).map((f) => f.header as { t: string; code?: string });
    assert.deepEqual(said, [{ v: PROTOCOL_VERSION, t: 'error', code: 'AUTH_FAILED', message: 'wrong network key' }]);
    assert.equal(accepted.length, 0, 'nothing was served');
  });

  it('a stolen id with another key pair: KEY_CHANGED naming both fingerprints, nothing served', async () => {
    const owner = ephemeralSecurity('alice');
    const { address, accepted } = await serve({ security: ephemeralSecurity('server') });
    const first = await dial(address, { security: owner });
    first.setHandler(() => undefined);
    assert.equal((await first.request({ t: 'ping' })).msg.t, 'ok');
    first.close();
    const thief = ephemeralSecurity('alice');
    const refusal = await dial(address, { security: thief }).then(
      () => assert.fail('the thief got in'),
      (err: P2PError) => err,
    );
    assert.equal(refusal.code, 'KEY_CHANGED');
    assert.match(refusal.message, new RegExp(thief.identity.fingerprint));
    assert.match(refusal.message, new RegExp(owner.identity.fingerprint));
    assert.equal(accepted.length, 1, 'only the real alice was accepted');
    // the real one still gets in
    (await dial(address, { security: owner })).close();
  });

  it('the dialer pins too: a listener with a known id and another key never gets our hello', async () => {
    const me = ephemeralSecurity('me');
    const real = await serve({ security: ephemeralSecurity('bob') });
    (await dial(real.address, { security: me, expectId: 'bob' })).close();
    const fake = await serve({ security: ephemeralSecurity('bob') });
    await assert.rejects(dial(fake.address, { security: me, expectId: 'bob' }), code('KEY_CHANGED'));
    await waitFor('the fake saw the refusal', () => fake.rejected.length === 1);
    assert.equal(fake.rejected[0].code, 'KEY_CHANGED', 'refused before any hello');
    assert.equal(fake.accepted.length, 0);
    // another id at the address we were given for bob
    const other = await serve({ security: ephemeralSecurity('carol') });
    await assert.rejects(
      dial(other.address, { security: ephemeralSecurity('newcomer'), expectId: 'bob' }),
      code('ID_MISMATCH'),
    );
  });

  it('--trust: a fingerprint outside the allow-list is refused with NOT_TRUSTED; a listed one gets in', async () => {
    const friend = ephemeralSecurity('friend');
    const allowList = new Set([friend.identity.fingerprint]);
    const security: ChannelSecurity = {
      identity: NodeIdentity.ephemeral(),
      id: 'server',
      trust: TrustStore.inMemory(allowList),
    };
    const { address, accepted } = await serve({ security });
    await assert.rejects(dial(address, { security: ephemeralSecurity('stranger') }), code('NOT_TRUSTED'));
    assert.equal(accepted.length, 0);
    const conn = await dial(address, { security: friend });
    conn.setHandler(() => undefined);
    assert.equal((await conn.request({ t: 'ping' })).msg.t, 'ok');
    conn.close();
  });

  it('a replayed handshake: TLS refuses it (HANDSHAKE_FAILED); a replayed proof is a wrong key', async () => {
    const { address, accepted, rejected } = await serve({ key: 'sesame', security: ephemeralSecurity('server') });
    const proxy = new RecordingProxy(address);
    cleanups.push(() => proxy.close());
    const conn = await dial(await proxy.listen(), { key: 'sesame', security: ephemeralSecurity('victim') });
    conn.setHandler(() => undefined);
    await conn.request({ t: 'ping' });
    conn.close();
    const victimBytes = Buffer.concat(proxy.connections[0].up);
    // the victim's bytes, replayed as they were on a fresh TCP connection
    const replay = net.connect(address);
    cleanups.push(() => replay.destroy());
    replay.on('error', () => undefined);
    const closed = new Promise((resolve) => replay.once('close', resolve));
    replay.on('data', () => undefined); // a TLS alert at most: nothing the victim could use
    replay.write(victimBytes);
    await closed;
    await waitFor('a refusal', () => rejected.some((e) => e.code === 'HANDSHAKE_FAILED'));
    // a proof lifted from one session, sent inside another
    const first = await rawTls(address);
    cleanups.push(() => first.destroy());
    const stolenHello = await helloFrame(first, { id: 'victim', key: 'sesame' });
    first.destroy();
    const second = await rawTls(address);
    cleanups.push(() => second.destroy());
    const frames = framesUntilClosed(second);
    second.write(stolenHello);
    const said = (await frames).map((f) => (f.header as { code?: string }).code);
    assert.deepEqual(said, ['AUTH_FAILED']);
    assert.equal(accepted.length, 1, 'only the victim itself was served');
  });

  it("a message naming another sender than the link's key is refused (ID_MISMATCH)", async () => {
    const { address } = await serve({ security: ephemeralSecurity('server') });
    const conn = await dial(address, { security: ephemeralSecurity('mallory') });
    conn.setHandler(() => undefined);
    const closed = new Promise<P2PError | undefined>((resolve) => conn.once('close', resolve));
    await assert.rejects(conn.request({ t: 'join', id: 'alice', host: '127.0.0.1', port: 9 }), code('ID_MISMATCH'));
    assert.equal((await closed)?.code, 'ID_MISMATCH');
  });
});

describe('secure channel: identity and pins on disk', () => {
  const fixture = new FloodFixture();
  afterEach(() => fixture.cleanup());

  it('makes a key on first start (folder 0700, key 0600) and keeps it; pins survive a restart', async () => {
    const folder = join(await fixture.tempDir(), '.p2p');
    const first = await loadNodeSecurity({ id: 'a', folder });
    const again = await loadNodeSecurity({ id: 'a', folder });
    assert.equal(again.identity.fingerprint, first.identity.fingerprint);
    assert.match(first.identity.fingerprint, /^[0-9a-f]{64}$/);
    assert.equal((await stat(folder)).mode & 0o777, 0o700);
    assert.equal((await stat(join(folder, 'identity.key'))).mode & 0o777, 0o600);

    const peerKey = NodeIdentity.ephemeral().fingerprint;
    first.trust.admit('b', peerKey);
    await first.trust.flush();
    assert.equal((await stat(join(folder, 'known-peers.json'))).mode & 0o777, 0o600);
    const restarted = await loadNodeSecurity({ id: 'a', folder });
    assert.equal(restarted.trust.pinned('b'), peerKey);
    assert.throws(() => restarted.trust.admit('b', NodeIdentity.ephemeral().fingerprint), code('KEY_CHANGED'));
  });

  it('refuses a key file that is not an Ed25519 key, and a trust file with a bad line, with clear errors', async () => {
    const dir = await fixture.tempDir();
    await writeFile(join(dir, 'identity.key'), 'not a key', { mode: 0o600 });
    await assert.rejects(NodeIdentity.loadOrCreate(dir), /not a private key/);
    assert.equal(await readFile(join(dir, 'identity.key'), 'utf8'), 'not a key', 'the bad file is left alone');
    const trustFile = join(dir, 'trust.txt');
    const good = NodeIdentity.ephemeral().fingerprint;
    await writeFile(trustFile, `# friends\n${good} alice\n\n${good.toUpperCase()}\n`);
    assert.deepEqual([...readAllowList(trustFile)], [good]);
    await writeFile(trustFile, `${good}\nnot-a-fingerprint bob\n`);
    assert.throws(() => readAllowList(trustFile), /trust.txt:2: "not-a-fingerprint" is not a 64-hex-digit fingerprint/);
  });
});
