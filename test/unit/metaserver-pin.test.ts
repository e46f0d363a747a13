// A peer pins its metaserver's key under its address, as it pins peers' keys under their ids. An
// impostor answering at a known metaserver's address (a raw TLS listener with a key of its own,
// written against the protocol) is refused before the peer says a word, with KEY_CHANGED naming
// both keys; the real metaserver, restarted with its saved key, is accepted again. `--trust`,
// `--metaserver-fp` and `topo --metaserver-fp` apply to the metaserver too.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import type { Server, TLSSocket } from 'node:tls';
import { join } from 'node:path';
import type { Address, ErrorEvent } from '@node-core/events';
import { fetchTopology } from '@node-core/metaserver/metaserver-client';
import { KNOWN_PEERS_FILE } from '@node-core/wire/trust-store';
import { FrameDecoder, NodeIdentity, STATE_FOLDER } from '@node-core/wire';
import { CliProcess, peerArgs } from './cli-process';
import { useCliProcesses } from './cli-suite';
import { waitFor } from './flood-fixture';
import { rawTlsServer } from './raw-wire';

/** A TLS listener with a key of its own at `port`: records the frames dialers send it. */
class Impostor {
  readonly identity = NodeIdentity.ephemeral();
  readonly sockets: TLSSocket[] = [];
  /** The type of every frame a dialer sent it. */
  readonly said: string[] = [];
  private server: Server | undefined;

  async listen(port: number): Promise<void> {
    this.server = rawTlsServer(this.identity, (socket) => {
      this.sockets.push(socket);
      socket.on('error', () => undefined);
      const decoder = new FrameDecoder();
      socket.on('data', (bytes: Buffer) => {
        for (const frame of decoder.push(bytes)) this.said.push((frame.header as { t: string }).t);
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

describe("peers pin the metaserver's key", function () {
  this.timeout(60_000);
  const suite = useCliProcesses();
  const { procs, fixture } = suite;
  const impostors: Impostor[] = [];
  afterEach(async () => {
    await Promise.all(impostors.splice(0).map((i) => i.close()));
  });

  const start = (args: string[]): CliProcess => {
    const proc = new CliProcess(suite.cli, args);
    procs.push(proc);
    return proc;
  };

  async function metaserver(dir: string, port = 0): Promise<{ proc: CliProcess; address: Address; fp: string }> {
    const proc = start(['metaserver', '--port', String(port), '--dir', dir, '--json', '--heartbeat-ms', '200']);
    const ready = await proc.next('ready', () => true, 15_000);
    assert.ok(ready.role === 'metaserver' && ready.fingerprint);
    return { proc, address: { host: '127.0.0.1', port: ready.port }, fp: ready.fingerprint };
  }

  const peer = (id: string, dir: string, address: Address, extra: string[] = []): CliProcess =>
    start(peerArgs(id, dir, `127.0.0.1:${address.port}`, extra));

  async function impostorAt(port: number): Promise<Impostor> {
    const impostor = new Impostor();
    impostors.push(impostor);
    await impostor.listen(port);
    return impostor;
  }

  /** The peer exits 1 with this error code; its error event. */
  async function refusal(proc: CliProcess, code: string): Promise<ErrorEvent> {
    const error = await proc.next('error', () => true, 15_000);
    assert.equal(await proc.exited, 1);
    assert.equal(error.code, code, error.message);
    return error;
  }

  for (const mode of ['flood', 'chord'] as const) {
    it(`${mode}: an impostor at the address is refused naming both keys; the real one is accepted again`, async () => {
      const msDir = await fixture.tempDir();
      const ms = await metaserver(msDir);
      const pin = `metaserver/127.0.0.1:${ms.address.port}`;
      const dir = await fixture.tempDir();
      const running = peer('pinner', dir, ms.address, ['--mode', mode]);
      const ready = await running.next('ready', () => true, 15_000);
      assert.ok(ready.role === 'peer');
      assert.equal(ready.metaserverFingerprint, ms.fp, 'the ready event names the key it registered with');
      await waitFor('its pin on disk', async () => {
        const pins = await readFile(join(dir, STATE_FOLDER, KNOWN_PEERS_FILE), 'utf8').catch(() => '{}');
        return (JSON.parse(pins) as Record<string, string>)[pin] === ms.fp;
      });

      // the metaserver dies and an impostor takes its port: the running peer's retries are refused
      await ms.proc.kill();
      const impostor = await impostorAt(ms.address.port);
      const changed = await running.next('key-changed', () => true, 10_000);
      assert.deepEqual(changed, {
        event: 'key-changed',
        id: pin,
        oldFingerprint: ms.fp,
        newFingerprint: impostor.identity.fingerprint,
        metaserver: `127.0.0.1:${ms.address.port}`,
      });
      const error = await running.next('error', (e) => e.code === 'KEY_CHANGED');
      assert.ok(error.message.includes(impostor.identity.fingerprint), error.message);
      assert.equal(error.name, pin, 'about the metaserver, not about a command in flight');
      const tries = impostor.sockets.length;
      await waitFor('two more retries', () => impostor.sockets.length >= tries + 2);
      const refusals = running.events.filter((e) => e.event === 'error' || e.event === 'key-changed');
      assert.equal(refusals.length, 2, `reported once, whatever the retries: ${JSON.stringify(refusals)}`);

      // a peer starting with that pin is refused at once, with both keys named
      running.send('STOP');
      assert.equal(await running.exited, 0);
      const restarted = peer('pinner', dir, ms.address, ['--mode', mode]);
      const { message, keyChange } = await refusal(restarted, 'KEY_CHANGED');
      const { event: _, ...change } = changed;
      assert.deepEqual(keyChange, change, 'both keys, machine-readable, for whoever started it');
      assert.match(message, new RegExp(`^the metaserver at 127\\.0\\.0\\.1:${ms.address.port} presented key`));
      assert.ok(message.includes(impostor.identity.fingerprint) && message.includes(ms.fp), message);
      assert.ok(impostor.sockets.length >= 2, 'both peers did reach the impostor');
      assert.deepEqual(
        [...new Set(impostor.said)],
        ['error'],
        'the peers told it why they leave, and nothing else: no hello, no registration',
      );

      // the real metaserver back on its port with its saved key: accepted, registered
      await impostor.close();
      const back = await metaserver(msDir, ms.address.port);
      assert.equal(back.fp, ms.fp);
      const again = peer('pinner', dir, ms.address, ['--mode', mode]);
      const readyAgain = await again.next('ready', () => true, 15_000);
      assert.ok(readyAgain.role === 'peer' && readyAgain.metaserverFingerprint === ms.fp);
      await waitFor('registered', async () => (await fetchTopology(back.address)).some((p) => p.id === 'pinner'));
    });
  }

  it("--identity-dir keeps the metaserver's key pair across restarts, and only that", async () => {
    const keyDir = await fixture.tempDir();
    const start1 = start(['metaserver', '--port', '0', '--identity-dir', keyDir, '--json', '--heartbeat-ms', '200']);
    const first = await start1.next('ready', () => true, 15_000);
    assert.ok(first.role === 'metaserver' && first.fingerprint);
    const address = { host: '127.0.0.1', port: first.port };
    const dir = await fixture.tempDir();
    await peer('kept', dir, address).next('ready', () => true, 15_000);
    await waitFor('registered', async () => (await fetchTopology(address)).some((p) => p.id === 'kept'));
    await start1.kill();
    const again = start(['metaserver', '--port', String(first.port), '--identity-dir', keyDir, '--json']);
    const second = await again.next('ready', () => true, 15_000);
    assert.equal(second.role === 'metaserver' && second.fingerprint, first.fingerprint, 'the same key pair');
    assert.deepEqual(await readdir(keyDir), ['identity.key'], 'no pins, no deny-list on disk');
    await waitFor('the running peer registered again', async () =>
      (await fetchTopology(address)).some((p) => p.id === 'kept'),
    );
  });

  it('a metaserver that really changed its key: TRUST metaserver/HOST:PORT lets a running peer register', async () => {
    const ms = await metaserver(await fixture.tempDir());
    const running = peer('truster', await fixture.tempDir(), ms.address);
    await running.next('ready', () => true, 15_000);
    await ms.proc.kill();
    const reinstalled = await metaserver(await fixture.tempDir(), ms.address.port);
    const changed = await running.next('key-changed', () => true, 10_000);
    assert.equal(changed.newFingerprint, reinstalled.fp);
    assert.deepEqual(await fetchTopology(reinstalled.address), [], 'nothing registered with the new key');
    running.send(`TRUST ${changed.id} ${changed.newFingerprint}`);
    await running.next('trusted', (e) => e.id === changed.id && e.fingerprint === reinstalled.fp);
    await waitFor('registered after TRUST', async () =>
      (await fetchTopology(reinstalled.address)).some((p) => p.id === 'truster'),
    );
  });

  it("--trust without the metaserver's key refuses it (NOT_TRUSTED); with it, registers", async () => {
    const ms = await metaserver(await fixture.tempDir());
    const dir = await fixture.tempDir();
    const without = join(dir, 'trust-none.txt');
    const withIt = join(dir, 'trust-ms.txt');
    await writeFile(without, `${'ab'.repeat(32)} someone else\n`);
    await writeFile(withIt, `${ms.fp} our metaserver\n`);
    const { message } = await refusal(
      peer('t1', await fixture.tempDir(), ms.address, ['--trust', without]),
      'NOT_TRUSTED',
    );
    assert.ok(message.includes(ms.fp), message);
    assert.deepEqual(await fetchTopology(ms.address), [], 'nothing registered');
    await peer('t1', await fixture.tempDir(), ms.address, ['--trust', withIt]).next('ready', () => true, 15_000);
    await waitFor('registered', async () => (await fetchTopology(ms.address)).some((p) => p.id === 't1'));
  });

  it('--metaserver-fp: another key is refused naming both; the right one replaces a stale pin', async () => {
    const msDir = await fixture.tempDir();
    const ms = await metaserver(msDir);
    const wrong = NodeIdentity.ephemeral().fingerprint;
    const dir = await fixture.tempDir();
    const { message, keyChange } = await refusal(
      peer('f1', dir, ms.address, ['--metaserver-fp', wrong]),
      'KEY_CHANGED',
    );
    assert.ok(message.includes(wrong) && message.includes(ms.fp) && message.includes('--metaserver-fp'), message);
    assert.equal(keyChange, undefined, 'no pin changed: nothing to trust');
    assert.deepEqual(await fetchTopology(ms.address), [], 'nothing registered');

    // a wrong key given once spoils no pin: this key is pinned now; then the metaserver is
    // reinstalled, and its new key given up front replaces that pin
    const first = peer('f1', dir, ms.address);
    await first.next('ready', () => true, 15_000);
    first.send('STOP');
    await first.exited;
    await ms.proc.kill();
    const reinstalled = await metaserver(await fixture.tempDir(), ms.address.port);
    await refusal(peer('f1', dir, ms.address), 'KEY_CHANGED');
    const given = peer('f1', dir, ms.address, ['--metaserver-fp', reinstalled.fp.toUpperCase()]);
    const ready = await given.next('ready', () => true, 15_000);
    assert.ok(ready.role === 'peer' && ready.metaserverFingerprint === reinstalled.fp);
    given.send('STOP');
    await given.exited;
    await peer('f1', dir, ms.address).next('ready', () => true, 15_000);
  });

  it('topo --metaserver-fp: another key is refused naming both, the right one prints the network', async () => {
    const ms = await metaserver(await fixture.tempDir());
    await peer('seen', await fixture.tempDir(), ms.address).next('ready', () => true, 15_000);
    const wrong = NodeIdentity.ephemeral().fingerprint;
    const at = `127.0.0.1:${ms.address.port}`;
    const refused = start(['topo', '--metaserver', at, '--metaserver-fp', wrong, '--json']);
    assert.equal(await refused.exited, 1);
    assert.match(refused.stderr + refused.lines.join('\n'), /KEY_CHANGED/);
    assert.ok((refused.stderr + refused.lines.join('\n')).includes(wrong));
    const shown = start(['topo', '--metaserver', at, '--metaserver-fp', ms.fp, '--json']);
    assert.equal(await shown.exited, 0);
    const { peers } = JSON.parse(shown.lines[0]!) as { peers: Array<{ id: string }> };
    assert.deepEqual(
      peers.map((p) => p.id),
      ['seen'],
    );
  });
});
