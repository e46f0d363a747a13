// Acceptance, Chord mode: a live metaserver and six real chord peers. The page draws every peer
// and link of /api/topology, places the peers around a circle in nodeId order, shows the
// fingers on demand, and draws a node behind NAT and its ring links relayed.
import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { linkKey } from '@node-core/topology';
import { launchChromium, type Chromium } from './support/chromium';
import { LiveNetwork } from './support/live-network';
import { expectedPicture, waitForPicture } from './support/page-reading';

const PEERS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];

describe('topology page against a live chord ring of 6 peers', function () {
  this.timeout(90_000);
  let network: LiveNetwork;
  let browser: Chromium;
  let page: Page;

  before(async () => {
    network = await LiveNetwork.start();
    for (const id of PEERS) await network.addPeer(id, 'chord');
    await network.waitForPeers(PEERS);
    browser = await launchChromium({ colorScheme: 'dark' });
    page = await browser.context.newPage();
    await page.goto(network.pageUrl);
  });

  after(async () => {
    await browser?.close();
    await network?.close();
  });

  it('draws every peer and link, the peers on a circle in nodeId order', async () => {
    // The ring stabilizes over a few rounds; wait for the picture to match the live snapshot.
    await waitForPicture(page, async () => expectedPicture(await network.topology()), 10_000);
    const snapshot = await network.topology();
    const byNodeId = [...snapshot.peers]
      .sort((a, b) => (a.chord?.nodeId ?? '').localeCompare(b.chord?.nodeId ?? ''))
      .map((p) => p.id);
    const positions = await page.locator('[data-peer-id]').evaluateAll((els) =>
      els.map((e) => {
        const { e: x, f: y } = (e as SVGGElement).transform.baseVal.getItem(0).matrix;
        return { id: e.getAttribute('data-peer-id') ?? '', x, y };
      }),
    );
    const radius = positions.map((p) => Math.hypot(p.x, p.y));
    assert.ok(Math.max(...radius) - Math.min(...radius) < 1, `on one circle: ${radius.join(', ')}`);
    const clockwiseFromTop = [...positions].sort((a, b) => angleFromTop(a) - angleFromTop(b)).map((p) => p.id);
    assert.deepEqual(clockwiseFromTop, byNodeId);
  });

  it('shows the fingers on demand', async () => {
    assert.equal(await page.locator('[data-finger-edge]').count(), 0);
    await page.getByLabel('Show fingers').check();
    const snapshot = await network.topology();
    const hasFingers = snapshot.peers.some((p) =>
      (p.chord?.fingers ?? []).some((f) => f !== p.chord?.successors[0] && f !== p.id),
    );
    if (hasFingers) await page.locator('[data-finger-edge]').first().waitFor({ state: 'attached', timeout: 2000 });
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/topology-chord.png' });
    await page.getByLabel('Show fingers').uncheck();
    await page
      .locator('[data-finger-edge]')
      .first()
      .waitFor({ state: 'detached', timeout: 2000 })
      .catch(() => undefined);
    assert.equal(await page.locator('[data-finger-edge]').count(), 0);
  });

  it('draws a node behind NAT and its ring links dash-dotted (relayed), and only those', async () => {
    // 127.0.0.3: an address nobody can dial it at (it listens on 127.0.0.1), the loopback stand-in for NAT
    await network.addPeer('home', 'chord', ['--advertise', '127.0.0.3', '--allow-relay']);
    await network.waitForPeers([...PEERS, 'home']);
    const relayedOnPage = (): Promise<string[]> =>
      page
        .locator('line.link[data-relayed="true"]')
        .evaluateAll((lines) => lines.map((l) => String(l.getAttribute('data-link'))).sort());
    // the ring settled around it (it links to its successor and predecessor, and they to it), and
    // the page draws exactly its links relayed: the reachable ends dial it through the relay
    const relayedInSnapshot = async (): Promise<string[] | undefined> => {
      const { peers } = await network.topology();
      const home = peers.find((p) => p.id === 'home');
      const linkedToHome = peers.filter((p) => p.id !== 'home' && p.neighbors.includes('home'));
      const settled = home?.neighbors.length === 2 && linkedToHome.every((p) => home.neighbors.includes(p.id));
      return settled ? home.neighbors.map((n) => linkKey('home', n)).sort() : undefined;
    };
    await waitFor('the links of the node behind NAT drawn relayed, and only those', 15_000, async () => {
      const expected = await relayedInSnapshot();
      return expected !== undefined && JSON.stringify(await relayedOnPage()) === JSON.stringify(expected);
    });
    assert.equal(await page.locator('[data-peer-id="home"]').getAttribute('data-relayed'), 'true');
  });
});

function angleFromTop(p: { x: number; y: number }): number {
  return (Math.atan2(p.y, p.x) + Math.PI / 2 + 2 * Math.PI) % (2 * Math.PI);
}

async function waitFor(what: string, timeoutMs: number, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}
