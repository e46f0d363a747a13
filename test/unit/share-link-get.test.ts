// `p2p-node get LINK` and a peer's `GET <link>` over real sockets: straight from the link's
// holder; through the network when that holder is gone or lies (a raw-socket holder serving
// junk); refusals (bad link: exit 2; existing file; nobody honest: exit 1, nothing under the name).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { join } from 'node:path';
import type { Address } from '../../node-core/src/events';
import { computeManifest } from '../../node-core/src/files/manifest';
import { formatShareLink, type ShareLink } from '../../node-core/src/share-link';
import { CliProcess } from './cli-process';
import { useCliProcesses } from './cli-suite';
import { LyingHolder } from './hostile-holder';

const NAME = 'payload.bin';

describe('share links: p2p-node get LINK and GET <link>', function () {
  this.timeout(30_000);
  const suite = useCliProcesses();
  const { procs, fixture } = suite;
  const liars: LyingHolder[] = [];
  afterEach(async () => Promise.all(liars.splice(0).map((l) => l.close())));

  let content: Buffer;
  let sha256: string;
  beforeEach(async () => {
    content = randomBytes(2.5 * 1024 * 1024); // three chunks
    const dir = await fixture.tempDir();
    await writeFile(join(dir, NAME), content);
    sha256 = (await computeManifest(join(dir, NAME), NAME)).sha256;
  });

  const cli = (args: string[]): CliProcess => {
    const p = new CliProcess(suite.cli, args);
    procs.push(p);
    return p;
  };
  const get = async (link: ShareLink, dir: string): Promise<{ proc: CliProcess; code: number | null }> => {
    const proc = cli(['get', formatShareLink(link), '--dir', dir, '--json', '--heartbeat-ms', '150']);
    return { proc, code: await proc.exited };
  };
  const exists = (path: string): Promise<boolean> =>
    access(path).then(
      () => true,
      () => false,
    );

  async function network(): Promise<{ metaserver: Address; holder: { id: string; host: string; port: number } }> {
    const meta = await fixture.metaserver();
    const metaserver = meta.address;
    const holder = await fixture.peer('holder', { metaserver }, { [NAME]: content });
    return { metaserver, holder: holder.address };
  }

  it('downloads straight from the holder, verified, into --dir', async () => {
    const { holder } = await network();
    const out = await fixture.tempDir();
    const { proc, code } = await get({ name: NAME, sha256, size: content.length, holder }, out);
    assert.equal(code, 0, proc.stderr);
    const done = await proc.next('download-complete');
    assert.deepEqual([done.name, done.bytes, done.sha256, done.sources], [NAME, content.length, sha256, ['holder']]);
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
    const link = { name: NAME, sha256, holder: { id: 'gone', host: '127.0.0.1', port }, metaserver };
    const { proc, code } = await get(link, out);
    assert.equal(code, 0, proc.stderr + JSON.stringify(proc.events));
    assert.deepEqual((await proc.next('download-complete')).sources, ['holder']);
    assert.ok((await readFile(join(out, NAME))).equals(content));
  });

  it('drops a holder that serves junk and gets the file from an honest one; alone, it gets nothing named', async () => {
    const { metaserver } = await network();
    const dir = await fixture.tempDir();
    await writeFile(join(dir, NAME), content);
    const liar = new LyingHolder(await computeManifest(join(dir, NAME), NAME));
    liars.push(liar);
    const holder = { id: 'liar', host: '127.0.0.1', port: await liar.listen() };

    const out = await fixture.tempDir();
    const rescued = await get({ name: NAME, sha256, holder, metaserver }, out);
    assert.equal(rescued.code, 0, rescued.proc.stderr + JSON.stringify(rescued.proc.events));
    assert.ok(liar.chunksServed > 0, 'the liar was asked for chunks');
    assert.deepEqual((await rescued.proc.next('download-complete')).sources, ['holder']);
    assert.ok((await readFile(join(out, NAME))).equals(content));

    const alone = await fixture.tempDir();
    const refused = await get({ name: NAME, sha256, holder }, alone);
    assert.equal(refused.code, 1);
    const error = await refused.proc.next('error');
    assert.equal(error.name, NAME);
    assert.equal(await exists(join(alone, NAME)), false, 'no file under its final name');
  });

  it('refuses a bad link with usage (exit 2) and never overwrites an existing file (exit 1)', async () => {
    const bad = cli(['get', 'vscode://p2p-network.p2p-network-vscode/download?name=..%2Fx&sha256=00']);
    assert.equal(await bad.exited, 2);
    assert.match(bad.stderr, /not a valid share link: "name"/);
    const none = cli(['get']);
    assert.equal(await none.exited, 2);

    const { holder } = await network();
    const out = await fixture.tempDir();
    await writeFile(join(out, NAME), 'mine');
    const { proc, code } = await get({ name: NAME, sha256, holder }, out);
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
    const link = formatShareLink({ name: NAME, sha256, holder, metaserver });
    peer.send(`GET ${link}`);
    const done = await peer.next('download-complete', (e) => e.name === NAME, 15_000);
    assert.deepEqual(done.sources, ['holder']);
    assert.ok((await readFile(join(dir, 'Downloads', NAME))).equals(content));
    peer.send('GET vscode://p2p-network.p2p-network-vscode/download?name=x&sha256=1');
    const refused = await peer.next('error', (e) => e.code === 'BAD_COMMAND');
    assert.match(refused.message, /not a valid share link/);
    peer.send('FILES');
    const files = await peer.next('files');
    assert.ok(files.files.some((f) => f.name === NAME && f.sha256 === sha256));
  });
});
