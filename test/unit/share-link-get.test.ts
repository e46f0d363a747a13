// `p2p-node get LINK` and a peer's `GET <link>` over real sockets: straight from the link's
// holder; through the network when that holder is gone or lies (a raw-socket holder serving
// junk); refusals (bad link: exit 2; existing file; a holder serving another version than the
// link's root, or nobody honest: exit 1, nothing under the name).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { join } from 'node:path';
import type { Address } from '@node-core/events';
import { computeManifest, type FileManifest } from '@node-core/files/manifest';
import { formatShareLink, type ShareLink } from '@node-core/share-link';
import { ephemeralSecurity, NodeIdentity } from '@node-core/wire';
import { CliProcess } from './cli-process';
import { useCliProcesses } from './cli-suite';
import { HostileHolder } from './support/hostile-holder';

const NAME = 'payload.bin';

describe('share links: p2p-node get LINK and GET <link>', function () {
  this.timeout(30_000);
  const suite = useCliProcesses();
  const { procs, fixture } = suite;
  const liars: HostileHolder[] = [];
  afterEach(async () => Promise.all(liars.splice(0).map((l) => l.close())));

  let content: Buffer;
  let manifest: FileManifest;
  /** The version fields of a link to `content`. */
  let version: Pick<ShareLink, 'name' | 'size' | 'root'>;
  beforeEach(async () => {
    content = randomBytes(2.5 * 1024 * 1024); // three chunks
    manifest = await manifestOf(content);
    version = { name: NAME, size: content.length, root: manifest.root };
  });

  async function manifestOf(bytes: Buffer): Promise<FileManifest> {
    const dir = await fixture.tempDir();
    await writeFile(join(dir, NAME), bytes);
    return computeManifest(join(dir, NAME), NAME);
  }

  const cli = (args: string[]): CliProcess => {
    const p = new CliProcess(suite.cli, args);
    procs.push(p);
    return p;
  };
  const get = async (link: ShareLink, dir: string): Promise<{ proc: CliProcess; code: number | null }> => {
    const proc = cli(['get', formatShareLink(link), '--dir', dir, '--json', '--heartbeat-ms', '150']);
    return { proc, code: await proc.exited };
  };
  /** A port nothing listens on (a holder that is gone). */
  const closedPort = async (): Promise<number> => {
    const dead = net.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const { port } = dead.address() as net.AddressInfo;
    await new Promise((resolve) => dead.close(resolve));
    return port;
  };
  const exists = (path: string): Promise<boolean> =>
    access(path).then(
      () => true,
      () => false,
    );

  async function network(): Promise<{
    metaserver: Address;
    holder: { id: string; host: string; port: number };
    /** The holder's key fingerprint. */
    fingerprint: string;
  }> {
    const meta = await fixture.metaserver();
    const metaserver = meta.address;
    const security = ephemeralSecurity('holder');
    const holder = await fixture.peer('holder', { metaserver, security }, { [NAME]: content });
    return { metaserver, holder: holder.address, fingerprint: security.identity.fingerprint };
  }

  it('downloads straight from the holder, verified, into --dir', async () => {
    const { holder } = await network();
    const out = await fixture.tempDir();
    const { proc, code } = await get({ ...version, holder }, out);
    assert.equal(code, 0, proc.stderr);
    const done = await proc.next('download-complete');
    assert.deepEqual(
      [done.name, done.bytes, done.root, done.sources],
      [NAME, content.length, manifest.root, ['holder']],
    );
    assert.equal(done.path, join(out, NAME));
    assert.ok((await readFile(done.path)).equals(content));
    assert.deepEqual(await readdir(out), [NAME]);
  });

  it('finds another holder through the metaserver when the link names a dead one', async () => {
    const { metaserver } = await network();
    const dead = net.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as net.AddressInfo).port;
    await new Promise((resolve) => dead.close(resolve));
    const out = await fixture.tempDir();
    const link = { ...version, holder: { id: 'gone', host: '127.0.0.1', port }, metaserver };
    const { proc, code } = await get(link, out);
    assert.equal(code, 0, proc.stderr + JSON.stringify(proc.events));
    assert.deepEqual((await proc.next('download-complete')).sources, ['holder']);
    assert.ok((await readFile(join(out, NAME))).equals(content));
  });

  it("a link's metaserver key (mfp): another key there is refused naming both; the right one is used", async () => {
    const msSecurity = ephemeralSecurity('');
    const { address: metaserver } = await fixture.metaserver({ security: msSecurity });
    await fixture.peer('holder', { metaserver }, { [NAME]: content });
    const gone = { id: 'gone', host: '127.0.0.1', port: await closedPort() };
    const wrong = NodeIdentity.ephemeral().fingerprint;
    const refused = await get(
      { ...version, holder: gone, metaserver, metaserverFingerprint: wrong },
      await fixture.tempDir(),
    );
    assert.equal(refused.code, 1);
    const error = await refused.proc.next('error');
    assert.equal(error.code, 'KEY_CHANGED', error.message);
    assert.ok(error.message.includes(wrong) && error.message.includes(msSecurity.identity.fingerprint), error.message);
    assert.match(error.message, /the share link names key/);
    const out = await fixture.tempDir();
    const link = { ...version, holder: gone, metaserver, metaserverFingerprint: msSecurity.identity.fingerprint };
    const { proc, code } = await get(link, out);
    assert.equal(code, 0, proc.stderr + JSON.stringify(proc.events));
    assert.ok((await readFile(join(out, NAME))).equals(content));
  });

  it('drops a holder that serves junk and gets the file from an honest one; alone, it gets nothing named', async () => {
    const { metaserver } = await network();
    // the true manifest and root, and random bytes for every chunk
    const liar = new HostileHolder({
      id: 'liar',
      name: NAME,
      manifest,
      root: manifest.root,
      chunkBytes: (index) => randomBytes(Math.min(manifest.chunkSize, content.length - index * manifest.chunkSize)),
      chunks: { kind: 'whole' },
    });
    liars.push(liar);
    const holder = await liar.listen();

    const out = await fixture.tempDir();
    const rescued = await get({ ...version, holder, metaserver }, out);
    assert.equal(rescued.code, 0, rescued.proc.stderr + JSON.stringify(rescued.proc.events));
    assert.ok(liar.chunkRequests > 0, 'the liar was asked for chunks');
    assert.deepEqual((await rescued.proc.next('download-complete')).sources, ['holder']);
    assert.ok((await readFile(join(out, NAME))).equals(content));

    const alone = await fixture.tempDir();
    const refused = await get({ ...version, holder }, alone);
    assert.equal(refused.code, 1);
    const error = await refused.proc.next('error');
    assert.equal(error.name, NAME);
    assert.equal(await exists(join(alone, NAME)), false, 'no file under its final name');
  });

  it('refuses a bad link with usage (exit 2) and never overwrites an existing file (exit 1)', async () => {
    const bad = cli(['get', 'vscode://p2p-network.p2p-network-vscode/download?name=..%2Fx&size=1&root=00']);
    assert.equal(await bad.exited, 2);
    assert.match(bad.stderr, /not a valid share link: "name"/);
    const none = cli(['get']);
    assert.equal(await none.exited, 2);

    const { holder } = await network();
    const out = await fixture.tempDir();
    await writeFile(join(out, NAME), 'mine');
    const { proc, code } = await get({ ...version, holder }, out);
    assert.equal(code, 1);
    assert.equal((await proc.next('error')).code, 'FILE_EXISTS');
    assert.equal(await readFile(join(out, NAME), 'utf8'), 'mine');
  });

  it("a running peer's GET <link> downloads that version into its Downloads/ and shares it", async () => {
    const { metaserver, holder } = await network();
    const dir = await fixture.tempDir();
    const at = `${metaserver.host}:${metaserver.port}`;
    const peer = cli(['peer', '--id', 'p1', '--dir', dir, '--metaserver', at, '--json', '--heartbeat-ms', '150']);
    peer.child.stdin?.on('error', () => undefined);
    await peer.next('ready');
    const link = formatShareLink({ ...version, holder, metaserver });
    peer.send(`GET ${link}`);
    const done = await peer.next('download-complete', (e) => e.name === NAME, 15_000);
    assert.deepEqual(done.sources, ['holder']);
    assert.ok((await readFile(join(dir, 'Downloads', NAME))).equals(content));
    peer.send(`GET vscode://p2p-network.p2p-network-vscode/download?name=x&size=1&root=${manifest.root}`); // no holder, no metaserver
    const refused = await peer.next('error', (e) => e.code === 'BAD_COMMAND');
    assert.match(refused.message, /not a valid share link/);
    peer.send('FILES');
    const files = await peer.next('files');
    assert.ok(files.files.some((f) => f.name === NAME && f.root === manifest.root));
  });

  it("gets nothing from a holder that serves another version than the link's root, nor from the network", async () => {
    const { metaserver, holder } = await network();
    // the link names an edited copy of the file; the holder (and so the network) has the original
    const edited = Buffer.from(content);
    edited[edited.length - 1] ^= 0xff;
    const other = await manifestOf(edited);
    const out = await fixture.tempDir();
    const link = { ...version, root: other.root, holder, metaserver };
    const { proc, code } = await get(link, out);
    assert.equal(code, 1, JSON.stringify(proc.events));
    const error = await proc.next('error');
    assert.equal(error.code, 'NOT_FOUND');
    assert.match(error.message, /no peer serves this version/);
    assert.deepEqual(await readdir(out), [], 'nothing written, not even a .part');
  });

  it("a link with the holder's key (fp): used with that key only, by p2p-node get and by GET <link>", async () => {
    const { metaserver, holder, fingerprint } = await network();
    const good = await get({ ...version, holder, fingerprint }, await fixture.tempDir());
    assert.equal(good.code, 0, good.proc.stderr + JSON.stringify(good.proc.events));

    // another key under the holder's id: not that holder, straight or found again through the network
    const wrong = 'ab'.repeat(32);
    const out = await fixture.tempDir();
    const refused = await get({ ...version, holder, fingerprint: wrong, metaserver }, out);
    assert.equal(refused.code, 1, JSON.stringify(refused.proc.events));
    assert.match((await refused.proc.next('error')).message, /key/);
    assert.deepEqual(await readdir(out), [], 'nothing written');

    const dir = await fixture.tempDir();
    const at = `${metaserver.host}:${metaserver.port}`;
    const peer = cli(['peer', '--id', 'p1', '--dir', dir, '--metaserver', at, '--json', '--heartbeat-ms', '150']);
    peer.child.stdin?.on('error', () => undefined);
    await peer.next('ready');
    peer.send(`GET ${formatShareLink({ ...version, holder, fingerprint: wrong, metaserver })}`);
    const error = await peer.next('error', (e) => e.name === NAME, 15_000);
    assert.equal(error.code, 'NOT_FOUND');
    assert.match(error.message, /key/);
    peer.send(`GET ${formatShareLink({ ...version, holder, fingerprint, metaserver })}`);
    const done = await peer.next('download-complete', (e) => e.name === NAME, 15_000);
    assert.deepEqual(done.sources, ['holder']);
  });
});
