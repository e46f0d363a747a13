// Blocking a peer and noticing a changed key, as a user of p2p-node does it: BLOCK on stdin
// closes the live link at once, and from then on the blocked peer (its id, or its key under any
// id) is refused at the handshake, across a restart. A stranger presenting a pinned id with
// another key gets KEY_CHANGED and one `key-changed` event; TRUST pins the new key.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Address } from '@node-core/events';
import { fetchTopology } from '@node-core/metaserver/metaserver-client';
import { ephemeralSecurity, FrameDecoder, NodeIdentity, STATE_FOLDER } from '@node-core/wire';
import type { CliProcess } from './cli-process';
import { CliProcess as Cli, peerArgs } from './cli-process';
import { useCliProcesses } from './cli-suite';
import { waitFor } from './flood-fixture';
import { helloFrame, rawTls } from './raw-wire';

/** Dials as a stranger with `identity`, says hello as `id`; the first frame back (a hello or an error). */
async function answerToHello(address: Address, id: string, identity: NodeIdentity): Promise<Record<string, unknown>> {
  const socket = await rawTls(address, identity);
  try {
    socket.write(await helloFrame(socket, { id, identity }));
    const decoder = new FrameDecoder();
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to the hello')), 3000);
      socket.on('data', (bytes: Buffer) => {
        const [frame] = decoder.push(bytes);
        if (!frame) return;
        clearTimeout(timer);
        resolve(frame.header as Record<string, unknown>);
      });
    });
  } finally {
    socket.destroy();
  }
}

describe('block a peer, notice a changed key', function () {
  this.timeout(40_000);
  const suite = useCliProcesses();
  const { procs, fixture } = suite;

  const start = (args: string[]): CliProcess => {
    const p = new Cli(suite.cli, args);
    procs.push(p);
    return p;
  };

  async function peer(
    id: string,
    dir: string,
    metaserver: string,
  ): Promise<{ proc: CliProcess; address: Address; dir: string }> {
    const proc = start(peerArgs(id, dir, metaserver));
    const ready = await proc.next('ready');
    return { proc, address: { host: ready.host, port: ready.port }, dir };
  }

  const fingerprintOf = (proc: CliProcess): string => {
    const ready = proc.events.find((e) => e.event === 'ready');
    return String(ready?.fingerprint);
  };

  it('BLOCK drops the live link; the blocked peer cannot link, search or download, also after a restart', async () => {
    const msProc = start(['metaserver', '--port', '0', '--json', '--heartbeat-ms', '200']);
    const metaserver = `127.0.0.1:${(await msProc.next('ready')).port}`;
    const holderDir = await fixture.tempDir();
    await writeFile(join(holderDir, 'secret.txt'), 'only for friends\n'.repeat(1000));
    const holder = await peer('holder', holderDir, metaserver);
    const strangerDir = await fixture.tempDir();
    const stranger = await peer('stranger', strangerDir, metaserver);
    await holder.proc.next('neighbor-up', (e) => e.id === 'stranger');

    const mark = holder.proc.events.length;
    holder.proc.send('BLOCK stranger');
    const blocked = await holder.proc.next('blocked', () => true, 8000, mark);
    assert.equal(blocked.id, 'stranger');
    assert.deepEqual(blocked.fingerprints, [fingerprintOf(stranger.proc)], 'the key pinned for the id is blocked too');
    await holder.proc.next('neighbor-down', (e) => e.id === 'stranger', 3000, mark);
    await stranger.proc.next('neighbor-down', (e) => e.id === 'holder', 3000);

    // its overlay keeps trying to rejoin: refused at every handshake, so no link comes back
    const searchMark = stranger.proc.events.length;
    stranger.proc.send('SEARCH secret.txt');
    await stranger.proc.next('not-found', (e) => e.name === 'secret.txt', 15_000, searchMark);
    assert.ok(
      !holder.proc.events.slice(mark).some((e) => e.event === 'neighbor-up' && e.id === 'stranger'),
      'the blocked peer never became a neighbour again',
    );

    // restart the holder: the block was kept in its state folder
    holder.proc.send('STOP');
    assert.equal(await holder.proc.exited, 0);
    const again = await peer('holder', holderDir, metaserver);
    const strangerKey = await NodeIdentity.loadOrCreate(join(strangerDir, STATE_FOLDER));
    const byId = await answerToHello(again.address, 'stranger', NodeIdentity.ephemeral());
    assert.deepEqual([byId.t, byId.code], ['error', 'BLOCKED'], 'its id, whatever key');
    const byKey = await answerToHello(again.address, 'someone-else', strangerKey);
    assert.deepEqual([byKey.t, byKey.code], ['error', 'BLOCKED'], 'its key, whatever id');
    const friend = await answerToHello(again.address, 'friend', NodeIdentity.ephemeral());
    assert.equal(friend.t, 'hello', 'anyone else still gets in');

    // a GET through a third peer's search hit still needs a link to the holder: refused
    const thirdDir = await fixture.tempDir();
    await peer('third', thirdDir, metaserver);
    await again.proc.next('neighbor-up', (e) => e.id === 'third', 10_000);
    const getMark = stranger.proc.events.length;
    stranger.proc.send('GET secret.txt');
    const failed = await stranger.proc.next('error', (e) => e.name === 'secret.txt', 20_000, getMark);
    assert.equal(failed.code, 'BLOCKED', failed.message);
    assert.ok(!stranger.proc.events.some((e) => e.event === 'download-complete'));
  });

  it('a pinned id with another key: refused, one key-changed event per new key; TRUST pins the new key', async () => {
    const msProc = start(['metaserver', '--port', '0', '--json', '--heartbeat-ms', '200']);
    const metaserver = `127.0.0.1:${(await msProc.next('ready')).port}`;
    const holder = await peer('holder', await fixture.tempDir(), metaserver);
    const friend = await peer('friend', await fixture.tempDir(), metaserver);
    await holder.proc.next('neighbor-up', (e) => e.id === 'friend');
    const oldFingerprint = fingerprintOf(friend.proc);

    const newKey = NodeIdentity.ephemeral();
    for (let i = 0; i < 3; i++) {
      const answer = await answerToHello(holder.address, 'friend', newKey);
      assert.deepEqual([answer.t, answer.code], ['error', 'KEY_CHANGED']);
    }
    const changed = await holder.proc.next('key-changed');
    assert.deepEqual(changed, {
      event: 'key-changed',
      id: 'friend',
      oldFingerprint,
      newFingerprint: newKey.fingerprint,
    });
    assert.equal(holder.proc.events.filter((e) => e.event === 'key-changed').length, 1, 'once per (id, new key)');

    const mark = holder.proc.events.length;
    holder.proc.send(`TRUST friend ${newKey.fingerprint.toUpperCase()}`);
    const trusted = await holder.proc.next('trusted', () => true, 5000, mark);
    assert.deepEqual([trusted.id, trusted.fingerprint], ['friend', newKey.fingerprint]);
    const accepted = await answerToHello(holder.address, 'friend', newKey);
    assert.equal(accepted.t, 'hello', 'the new key is the pinned one now');
    const old = await answerToHello(holder.address, 'friend', NodeIdentity.ephemeral());
    assert.equal(old.code, 'KEY_CHANGED');

    holder.proc.send('TRUST friend not-a-fingerprint');
    assert.equal((await holder.proc.next('error', (e) => e.code === 'BAD_COMMAND', 5000, mark)).code, 'BAD_COMMAND');
  });

  it('the metaserver too: BLOCK ends a registration and refuses it; a changed key is reported; TRUST', async () => {
    const msProc = start(['metaserver', '--port', '0', '--json', '--heartbeat-ms', '200']);
    const ready = await msProc.next('ready');
    const msAddress = { host: String(ready.host), port: Number(ready.port) };
    const metaserver = `127.0.0.1:${ready.port}`;
    const registered = async (): Promise<string[]> =>
      (await fetchTopology(msAddress, { security: ephemeralSecurity(''), timeoutMs: 3000 })).map((p) => p.id).sort();
    const intruder = await peer('intruder', await fixture.tempDir(), metaserver);
    await peer('member', await fixture.tempDir(), metaserver);
    await waitFor('both registered', async () => (await registered()).length === 2, 10_000);

    let mark = msProc.events.length;
    msProc.send('BLOCK intruder');
    const blocked = await msProc.next('blocked', () => true, 5000, mark);
    assert.deepEqual([blocked.id, blocked.fingerprints], ['intruder', [fingerprintOf(intruder.proc)]]);
    // its link closes, so its registration ends; its client keeps retrying and is refused each time
    await waitFor('the intruder gone from the network', async () => (await registered()).join() === 'member', 10_000);
    const byId = await answerToHello(msAddress, 'intruder', NodeIdentity.ephemeral());
    assert.deepEqual([byId.t, byId.code], ['error', 'BLOCKED'], 'its id, whatever key');
    const byKey = await answerToHello(
      msAddress,
      'someone',
      await NodeIdentity.loadOrCreate(join(intruder.dir, STATE_FOLDER)),
    );
    assert.deepEqual([byKey.t, byKey.code], ['error', 'BLOCKED'], 'its key, whatever id');

    const newKey = NodeIdentity.ephemeral();
    const refused = await answerToHello(msAddress, 'member', newKey);
    assert.deepEqual([refused.t, refused.code], ['error', 'KEY_CHANGED']);
    const changed = await msProc.next('key-changed', () => true, 5000, mark);
    assert.deepEqual([changed.id, changed.newFingerprint], ['member', newKey.fingerprint]);
    mark = msProc.events.length;
    msProc.send(`TRUST member ${newKey.fingerprint}`);
    await msProc.next('trusted', () => true, 5000, mark);
    assert.equal((await answerToHello(msAddress, 'member', newKey)).t, 'hello', 'the new key is pinned now');
  });
});
