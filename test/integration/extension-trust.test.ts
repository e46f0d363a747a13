// Whom a peer trusts, inside a real VS Code with the real CLI: P2P: Block Peer on a neighbour
// drops the link and keeps the peer out; a stranger presenting a known id with another key
// makes the peer refuse it and the window warn once, with Block Peer and Trust New Key. The
// Playwright driver test/integration/driver/trust-ui.mjs does it as a user: the tree's context
// menu, and the warning's button. A peer's metaserver that comes back with another key is
// refused and warned about the same way; a peer joining after that gets the same warning, whose
// Trust New Key and Join (clicked by driver/trust-rejoin.mjs) starts it trusting the new key.

import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Address, KeyChangedEvent } from '@node-core/events';
import { MetadataServer } from '@node-core/metaserver';
import { ephemeralSecurity, FrameDecoder, NodeIdentity, STATE_FOLDER } from '@node-core/wire';
import { KNOWN_PEERS_FILE } from '@node-core/wire/trust-store';
import * as vscode from 'vscode';
import type { P2PExtensionApi } from '../../extension/src/api';
import type { PeerBlocked } from '../../extension/src/commands/identityCommands';
import type { ManagedNode } from '../../extension/src/nodes/managedNode';
import { keyChangeWarning, TRUST_AND_JOIN_ACTION } from '../../extension/src/views/keyChangeNotifier';
import type { NetworkElement } from '../../extension/src/views/networkTreeProvider';
import { waitUntil } from '../unit/extension-helpers';
import { helloFrame, rawTls } from '../unit/raw-wire';
import { driverReply, driverRunning } from './support/driver';
import { activateP2P, startMetaserver, tempFolder, useCleanup } from './support/extension';

/** A stranger with `identity` says hello as `id`; the type (and code) of the first frame back. */
async function helloAnswer(address: Address, id: string, identity: NodeIdentity): Promise<string> {
  const socket = await rawTls(address, identity);
  try {
    socket.write(await helloFrame(socket, { id, identity }));
    const decoder = new FrameDecoder();
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to the hello')), 5000);
      socket.on('data', (bytes: Buffer) => {
        const [frame] = decoder.push(bytes);
        if (!frame) return;
        clearTimeout(timer);
        const header = frame.header as { t: string; code?: string };
        resolve(header.t === 'error' ? `error ${header.code}` : header.t);
      });
    });
  } finally {
    socket.destroy();
  }
}

describe('extension: Block Peer, key changes', function () {
  this.timeout(90_000);
  let api: P2PExtensionApi;
  let server: { port: number };
  const cleanup = useCleanup();

  before(async () => {
    api = await activateP2P();
    server = await startMetaserver(cleanup);
  });

  const addressOf = (id: string): Address => {
    const info = api.nodes.peer(id)?.info;
    assert.ok(info, `peer ${id} runs`);
    return { host: info.host, port: info.port };
  };
  const neighborsOf = (id: string): string[] => api.nodes.peer(id)?.peerState?.neighbors.map((n) => n.id) ?? [];
  const neighborElement = (owner: string, id: string): NetworkElement | undefined => {
    const peer = api.networkTree.getChildren().find((e) => e.kind === 'peer' && e.node === api.nodes.peer(owner));
    const group = peer && api.networkTree.getChildren(peer).find((e) => e.kind === 'group' && e.group === 'neighbors');
    return group && api.networkTree.getChildren(group).find((e) => e.kind === 'neighbor' && e.neighbor.id === id);
  };

  // the peers this suite runs; each test leaves its own, so the next starts from an empty network
  const running = new Set<string>();
  const join = async (id: string, metaserverPort = server.port): Promise<void> => {
    await vscode.commands.executeCommand('p2p.joinNetwork', {
      id,
      metaserver: `127.0.0.1:${metaserverPort}`,
      dir: tempFolder(cleanup, `p2p-ext-${id}-`),
    });
    running.add(id);
  };
  afterEach(async () => {
    for (const id of running) await vscode.commands.executeCommand('p2p.leaveNetwork', { id });
    running.clear();
  });

  async function pinnedPair(a: string, b: string): Promise<void> {
    for (const id of [a, b]) await join(id);
    await waitUntil(`${a} and ${b} to link`, () => neighborsOf(a).includes(b));
  }

  it('Block Peer on a neighbour closes the link and the peer stays out; Trust New Key pins a new key', async () => {
    await pinnedPair('tb1', 'tb2');
    const element = neighborElement('tb1', 'tb2');
    assert.ok(element, 'tb2 is listed under tb1 → Neighbours');
    const blocked = await vscode.commands.executeCommand<PeerBlocked[]>('p2p.blockPeer', element);
    assert.equal(blocked.length, 1);
    assert.equal(blocked[0]!.by, 'tb1');
    assert.equal(blocked[0]!.blocked.id, 'tb2');
    assert.deepEqual(blocked[0]!.blocked.fingerprints, [api.nodes.peer('tb2')?.info?.fingerprint]);
    await waitUntil(
      'the link to close',
      () => !neighborsOf('tb1').includes('tb2') && !neighborsOf('tb2').includes('tb1'),
    );
    assert.equal(await helloAnswer(addressOf('tb1'), 'tb2', NodeIdentity.ephemeral()), 'error BLOCKED');

    // a stranger under tb1's other known id, tb3, with another key
    await join('tb3');
    await waitUntil('tb1 and tb3 to link', () => neighborsOf('tb1').includes('tb3'));
    const impostor = NodeIdentity.ephemeral();
    const changed = new Promise<unknown>((resolve) => {
      const subscription = api.nodes.onNodeEvent(({ node, event }) => {
        if (node !== api.nodes.peer('tb1') || event.event !== 'key-changed') return;
        subscription.dispose();
        resolve(event);
      });
    });
    assert.equal(await helloAnswer(addressOf('tb1'), 'tb3', impostor), 'error KEY_CHANGED');
    assert.deepEqual(await changed, {
      event: 'key-changed',
      id: 'tb3',
      oldFingerprint: api.nodes.peer('tb3')?.info?.fingerprint,
      newFingerprint: impostor.fingerprint,
    });
    const trusted = await vscode.commands.executeCommand('p2p.trustNewKey', {
      peer: 'tb1',
      id: 'tb3',
      fingerprint: impostor.fingerprint,
    });
    assert.deepEqual(trusted, { event: 'trusted', id: 'tb3', fingerprint: impostor.fingerprint });
    assert.equal(await helloAnswer(addressOf('tb1'), 'tb3', impostor), 'hello');
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('p2p.blockPeer', { peer: 'tb1', block: 'two words' })),
      /one peer id or fingerprint/i,
    );
  });

  it('the metadata server too: a changed key is reported; Block Peer keeps a peer out of the network', async () => {
    await pinnedPair('tm1', 'tm2');
    const metaserver: Address = { host: '127.0.0.1', port: server.port };
    const impostor = NodeIdentity.ephemeral();
    const changed = new Promise<unknown>((resolve) => {
      const subscription = api.nodes.onNodeEvent(({ node, event }) => {
        if (node !== api.nodes.metaserver || event.event !== 'key-changed') return;
        subscription.dispose();
        resolve(event);
      });
    });
    assert.equal(await helloAnswer(metaserver, 'tm2', impostor), 'error KEY_CHANGED');
    assert.deepEqual(await changed, {
      event: 'key-changed',
      id: 'tm2',
      oldFingerprint: api.nodes.peer('tm2')?.info?.fingerprint,
      newFingerprint: impostor.fingerprint,
    });
    const byMetaserver = await vscode.commands.executeCommand<PeerBlocked[]>('p2p.blockPeer', {
      metaserver: true,
      block: impostor.fingerprint,
    });
    assert.deepEqual(byMetaserver[0]!.blocked.fingerprints, [impostor.fingerprint]);
    assert.equal(await helloAnswer(metaserver, 'anyone', impostor), 'error BLOCKED', 'that key, under any id');

    // Block Peer on a peer of this window: the other peers and the metaserver refuse its key
    const peerElement = api.networkTree
      .getChildren()
      .find((e) => e.kind === 'peer' && e.node === api.nodes.peer('tm2'));
    assert.ok(peerElement, 'tm2 is listed');
    const blocked = await vscode.commands.executeCommand<PeerBlocked[]>('p2p.blockPeer', peerElement);
    assert.deepEqual(blocked.map((b) => b.by).sort(), ['metaserver', 'tm1']);
    const tm2Key = api.nodes.peer('tm2')?.info?.fingerprint;
    for (const b of blocked) assert.deepEqual(b.blocked.fingerprints, [tm2Key]);
    await waitUntil('tm1 and tm2 to unlink', () => !neighborsOf('tm1').includes('tm2'));
  });

  it("a peer's metaserver with another key: refused, warned about, and Trust New Key lets it register", async () => {
    const first = ephemeralSecurity('');
    const original = new MetadataServer({ port: 0, security: first });
    const at = await original.listen();
    cleanup.push(() => original.close());
    await join('tk1', at.port);
    const peer = (): ManagedNode | undefined => api.nodes.peer('tk1');
    await waitUntil('tk1 registered', () => original.registry.has('tk1'));
    assert.equal(peer()?.info?.metaserverFingerprint, first.identity.fingerprint, 'the key it pinned');

    // reinstalled at the same address with a new key
    await original.close();
    const changed = new Promise<KeyChangedEvent>((resolve) => {
      const subscription = api.nodes.onNodeEvent(({ node, event }) => {
        if (node !== peer() || event.event !== 'key-changed') return;
        subscription.dispose();
        resolve(event);
      });
    });
    const second = ephemeralSecurity('');
    const reinstalled = new MetadataServer({ port: at.port, security: second });
    await reinstalled.listen();
    cleanup.push(() => reinstalled.close());
    const change = await changed;
    const address = `127.0.0.1:${at.port}`;
    assert.deepEqual(change, {
      event: 'key-changed',
      id: `metaserver/${address}`,
      oldFingerprint: first.identity.fingerprint,
      newFingerprint: second.identity.fingerprint,
      metaserver: address,
    });
    assert.match(keyChangeWarning('tk1', change), new RegExp(`tk1 refused the metadata server at ${address}: `));
    assert.equal(reinstalled.registry.has('tk1'), false, 'refused: not registered');

    const trusted = await vscode.commands.executeCommand('p2p.trustNewKey', {
      peer: 'tk1',
      id: change.id,
      fingerprint: change.newFingerprint,
    });
    assert.deepEqual(trusted, { event: 'trusted', id: change.id, fingerprint: second.identity.fingerprint });
    await waitUntil('tk1 registered with the new key', () => reinstalled.registry.has('tk1'));
    await waitUntil('its info names the new key', () => peer()?.info?.metaserverFingerprint === change.newFingerprint);
  });

  it('a peer joining after its metaserver changed key: the same warning; Trust New Key and Join', async function () {
    if (!driverRunning('trust-rejoin')) this.skip(); // desktop VS Code: no Playwright to click the warning
    const first = ephemeralSecurity('');
    const original = new MetadataServer({ port: 0, security: first });
    const at = await original.listen();
    cleanup.push(() => original.close());
    const address = `127.0.0.1:${at.port}`;
    const dir = tempFolder(cleanup, 'p2p-ext-tr1-');
    const joinArgs = { id: 'tr1', metaserver: address, dir };
    await vscode.commands.executeCommand('p2p.joinNetwork', joinArgs);
    await waitUntil('tr1 registered', () => original.registry.has('tr1'));
    await vscode.commands.executeCommand('p2p.leaveNetwork', { id: 'tr1' });

    // reinstalled at the same address with a new key while the peer was stopped: its start is refused
    await original.close();
    const second = ephemeralSecurity('');
    const reinstalled = new MetadataServer({ port: at.port, security: second });
    await reinstalled.listen();
    cleanup.push(() => reinstalled.close());
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('notifications.showList');
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('p2p.joinNetwork', joinArgs)),
      new RegExp(
        `refused its metadata server: the metaserver at ${address} presented key ${second.identity.fingerprint}`,
      ),
    );
    assert.equal(api.nodes.peer('tr1'), undefined, 'nothing left running');

    console.log('[trust-rejoin] warning tr1');
    const warning = await driverReply<{ texts: string[]; labels: string[] }>('trust-rejoin', 30_000);
    await vscode.commands.executeCommand('notifications.hideList');
    const expected = keyChangeWarning('tr1', {
      event: 'key-changed',
      id: `metaserver/${address}`,
      oldFingerprint: first.identity.fingerprint,
      newFingerprint: second.identity.fingerprint,
      metaserver: address,
    });
    assert.deepEqual(warning.texts, [expected], 'one warning, worded as for a running peer, instead of the error');
    assert.deepEqual(warning.labels, [TRUST_AND_JOIN_ACTION, 'Cancel']);

    // the click starts tr1 again with --metaserver-fp <new key>, which replaces the pin
    await waitUntil('tr1 running again', () => api.nodes.peer('tr1')?.status === 'running', 30_000);
    running.add('tr1');
    const { args } = api.nodes.peer('tr1')!.launch;
    assert.equal(args[args.indexOf('--metaserver-fp') + 1], second.identity.fingerprint);
    await waitUntil('tr1 registered with the new metaserver', () => reinstalled.registry.has('tr1'));
    assert.equal(api.nodes.peer('tr1')?.info?.metaserverFingerprint, second.identity.fingerprint);
    const pins = await readFile(path.join(dir, STATE_FOLDER, KNOWN_PEERS_FILE), 'utf8');
    assert.equal(JSON.parse(pins)[`metaserver/${address}`], second.identity.fingerprint, 'the new key is pinned');
  });

  it('as a user: the context menu blocks a neighbour; the key-change warning trusts the new key', async function () {
    if (!driverRunning('trust-ui')) this.skip(); // desktop VS Code: no Playwright beside it
    await pinnedPair('tu1', 'tu2');
    await vscode.commands.executeCommand('workbench.view.extension.p2p');
    await waitUntil('tu2 under tu1 → Neighbours', () => neighborElement('tu1', 'tu2'));
    console.log('[trust-ui] block tu2');
    const menu = await driverReply<{ labels: string[] }>('trust-ui', 30_000);
    assert.ok(menu.labels.includes('P2P: Block Peer'), JSON.stringify(menu.labels));
    await waitUntil('the link to close', () => !neighborsOf('tu1').includes('tu2'));
    assert.equal(await helloAnswer(addressOf('tu1'), 'tu2', NodeIdentity.ephemeral()), 'error BLOCKED');

    await join('tu3');
    await waitUntil('tu1 and tu3 to link', () => neighborsOf('tu1').includes('tu3'));
    const impostor = NodeIdentity.ephemeral();
    for (let i = 0; i < 3; i++) assert.equal(await helloAnswer(addressOf('tu1'), 'tu3', impostor), 'error KEY_CHANGED');
    console.log('[trust-ui] warning tu3');
    const warning = await driverReply<{ texts: string[] }>('trust-ui', 30_000);
    assert.equal(warning.texts.length, 1, `one warning for three refusals: ${JSON.stringify(warning.texts)}`);
    assert.match(warning.texts[0]!, new RegExp(`tu1 refused peer "tu3".*${impostor.fingerprint.slice(0, 16)}`));
    // the click runs p2p.trustNewKey, which pins the key: poll until a hello with it is answered
    const deadline = Date.now() + 15_000;
    while ((await helloAnswer(addressOf('tu1'), 'tu3', impostor)) !== 'hello') {
      assert.ok(Date.now() < deadline, 'the new key was never pinned');
      await sleep(200);
    }
  });
});
