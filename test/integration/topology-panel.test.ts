// P2P: Show Topology inside a real VS Code: the command opens one webview panel (a second call
// reveals it instead of opening another), closing it disposes it, and the panel's frame draws
// the managed metaserver's peers and a download's traffic. The frame itself is checked by the Playwright driver
// test/integration/driver/topology-panel.mjs, which this test hands the expected picture through
// the log and waits for through the channel folder.
import { setTimeout as sleep } from 'node:timers/promises';
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { linkKey, type TopologySnapshot } from '@node-core/topology';
import { driverReply, driverRunning } from './support/driver';
import { EXTENSION_ID } from './support/extension';

const DRIVER = 'topology-panel';
const DRIVER_WAIT_MS = 45_000;

function topologyTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('p2p.topology'));
}

async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('topology panel (P2P: Show Topology)', function () {
  this.timeout(120_000);
  let pageUrl: string;
  let demoPeers: string[] = [];

  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    const demo = await vscode.commands.executeCommand<{
      metaserver?: { url?: string };
      peers?: Array<{ id?: string }>;
    }>('p2p.startDemoNetwork', { peers: 4 });
    demoPeers = (demo?.peers ?? []).flatMap((p) => (p.id ? [p.id] : []));
    assert.ok(demo?.metaserver?.url, `the demo network's metaserver has no bridge url: ${JSON.stringify(demo)}`);
    pageUrl = demo.metaserver.url;
  });

  after(async () => {
    for (const tab of topologyTabs()) await vscode.window.tabGroups.close(tab);
    for (const id of demoPeers)
      await vscode.commands.executeCommand('p2p.leaveNetwork', { id }).then(undefined, () => undefined);
    await vscode.commands.executeCommand('p2p.stopMetadataServer');
  });

  async function settledSnapshot(): Promise<TopologySnapshot> {
    const api = new URL('/api/topology', pageUrl);
    api.search = new URL(pageUrl).search;
    return waitFor(
      async () => {
        const snapshot = (await (await fetch(api)).json()) as TopologySnapshot;
        const linked =
          snapshot.peers.length >= 4 &&
          snapshot.peers.every((p) => snapshot.peers.some((q) => q.neighbors.includes(p.id)) || p.neighbors.length > 0);
        return linked ? snapshot : undefined;
      },
      15_000,
      'the demo network to link up',
    );
  }

  it('opens one panel, and a second call reveals it instead of opening another', async () => {
    await vscode.commands.executeCommand('p2p.showTopology');
    await waitFor(() => (topologyTabs().length === 1 ? true : undefined), 10_000, 'the topology panel');
    await vscode.commands.executeCommand('workbench.action.focusSideBar');
    await vscode.commands.executeCommand('p2p.showTopology');
    await sleep(500);
    assert.equal(topologyTabs().length, 1);
    assert.equal(topologyTabs()[0].isActive, true, 'revealed');
  });

  it('draws the network in the panel (checked in the frame by the Playwright driver)', async () => {
    const snapshot = await settledSnapshot();
    const ids = new Set(snapshot.peers.map((p) => p.id));
    const links = new Set<string>();
    for (const p of snapshot.peers) for (const n of p.neighbors) if (ids.has(n)) links.add(linkKey(p.id, n));
    const expected = { peers: [...ids].sort(), links: [...links].sort() };
    console.log(`[topology] panel open ${JSON.stringify(expected)}`);
    // Desktop VS Code has no Playwright driver: there only the panel checks of the other tests run.
    if (!driverRunning(DRIVER)) return;
    const verdict = await driverReply<{ ok: boolean; reason?: string }>(DRIVER, DRIVER_WAIT_MS);
    assert.ok(verdict.ok, verdict.reason);
  });

  it('follows the VS Code theme live (dark theme, checked in the frame by the driver)', async () => {
    if (!driverRunning(DRIVER)) return;
    const workbench = vscode.workspace.getConfiguration('workbench');
    const before = workbench.inspect<string>('colorTheme')?.globalValue;
    await workbench.update('colorTheme', 'Default Dark Modern', vscode.ConfigurationTarget.Global);
    try {
      console.log('[topology] theme dark');
      const verdict = await driverReply<{ ok: boolean; reason?: string }>(DRIVER, DRIVER_WAIT_MS);
      assert.ok(verdict.ok, verdict.reason);
    } finally {
      await workbench.update('colorTheme', before, vscode.ConfigurationTarget.Global);
    }
  });

  it('drops a peer that leaves from the open panel, without reopening it', async () => {
    if (!driverRunning(DRIVER)) return;
    const leaving = demoPeers[demoPeers.length - 1];
    assert.ok(leaving, 'the demo network has peers');
    await vscode.commands.executeCommand('p2p.leaveNetwork', { id: leaving });
    console.log(`[topology] left ${leaving}`);
    const verdict = await driverReply<{ ok: boolean; reason?: string }>(DRIVER, DRIVER_WAIT_MS);
    assert.ok(verdict.ok, verdict.reason);
  });

  it("draws a download's traffic in the open panel: a rate on the link, or a flow between the two", async () => {
    if (!driverRunning(DRIVER)) return;
    const downloader = demoPeers[0];
    assert.ok(downloader, 'the demo network has peers');
    const dir = mkdtempSync(path.join(tmpdir(), 'p2p-ext-traffic-'));
    const name = 'traffic.bin';
    writeFileSync(path.join(dir, name), randomBytes(16 * 1024 * 1024));
    const config = vscode.workspace.getConfiguration('p2p');
    await config.update('maxUploadMiBPerSecond', 4, vscode.ConfigurationTarget.Global); // a few seconds of traffic
    try {
      const server = vscode.extensions.getExtension<{ nodes: { metaserver?: { info?: { port: number } } } }>(
        EXTENSION_ID,
      )!.exports.nodes.metaserver!.info!;
      await vscode.commands.executeCommand('p2p.joinNetwork', {
        id: 'traffic-src',
        metaserver: `127.0.0.1:${server.port}`,
        dir,
      });
    } finally {
      await config.update('maxUploadMiBPerSecond', undefined, vscode.ConfigurationTarget.Global);
    }
    try {
      await waitFor(
        async () => {
          const found = await vscode.commands.executeCommand<unknown[]>('p2p.searchFile', { name, peer: downloader });
          return found && found.length > 0 ? true : undefined;
        },
        20_000,
        `${downloader} to find ${name}`,
      );
      const downloaded = vscode.commands.executeCommand('p2p.downloadFile', { name, peer: downloader });
      console.log(`[topology] traffic ${linkKey('traffic-src', downloader)}`);
      const verdict = await driverReply<{ ok: boolean; reason?: string }>(DRIVER, DRIVER_WAIT_MS);
      assert.ok(verdict.ok, verdict.reason);
      await downloaded;
    } finally {
      await vscode.commands.executeCommand('p2p.leaveNetwork', { id: 'traffic-src' }).then(undefined, () => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('closing the panel disposes it; the command opens a fresh one', async () => {
    for (const tab of topologyTabs()) await vscode.window.tabGroups.close(tab);
    assert.equal(topologyTabs().length, 0);
    await vscode.commands.executeCommand('p2p.showTopology');
    await waitFor(() => (topologyTabs().length === 1 ? true : undefined), 10_000, 'a new topology panel');
  });
});
