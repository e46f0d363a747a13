// The page shows how each link is secured and each peer's key: against a live metaserver with
// real flood peers (every link TLS, each end reporting the key its link presented: verified),
// live chord peers too, and against an in-memory source for what live peers do not produce on
// demand (a link whose keys are not reported, a key that does not match the registered one).
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { TopologyBridge } from '@node-core/bridge';
import type { TopologyPeer } from '@node-core/topology';
import { launchChromium, type Chromium } from './support/chromium';
import { InMemoryTopology } from './support/in-memory-topology';
import { LiveNetwork } from './support/live-network';
import { expectedPicture, waitForPicture } from './support/page-reading';

const PEERS = ['k1', 'k2', 'k3'];
const fp = (digit: string): string => digit.repeat(64);

/** Every drawn link's `data-security` and tooltip, by `data-link`. */
function linkMarks(page: Page): Promise<Record<string, { security: string | null; title: string }>> {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('[data-link]')].map((line) => [
        line.getAttribute('data-link'),
        { security: line.getAttribute('data-security'), title: line.querySelector('title')?.textContent ?? '' },
      ]),
    ),
  );
}

describe('topology page: encrypted links and fingerprints', function () {
  this.timeout(90_000);
  let browser: Chromium;

  before(async () => {
    browser = await launchChromium();
  });
  after(() => browser?.close());

  it('live: every link is drawn encrypted and verified; a peer’s details show its fingerprint', async () => {
    const network = await LiveNetwork.start();
    const page = await browser.context.newPage();
    try {
      const fingerprints = new Map<string, string>();
      for (const id of PEERS) {
        const peer = await network.addPeer(id);
        const ready = await peer.waitForEvent((e) => e.event === 'ready');
        fingerprints.set(id, String((ready as { fingerprint?: string }).fingerprint));
      }
      await network.waitForPeers(PEERS);
      const snapshot = await network.topology();
      for (const peer of snapshot.peers) assert.equal(peer.fingerprint, fingerprints.get(peer.id), 'bridge carries it');

      await page.goto(network.pageUrl);
      await waitForPicture(page, async () => expectedPicture(await network.topology()), 5000);
      await page.waitForFunction(
        () => {
          const lines = [...document.querySelectorAll('[data-link]')];
          return lines.length > 0 && lines.every((l) => l.getAttribute('data-security') === 'verified');
        },
        undefined,
        { timeout: 10_000 },
      );
      const marks = await linkMarks(page);
      for (const [key, mark] of Object.entries(marks))
        assert.match(mark.title, /encrypted \(TLS 1\.3\), keys verified at both ends/, key);

      await page.locator('[data-peer-id="k1"]').click();
      const details = page.locator('.details');
      await details.locator('.fingerprint').waitFor({ timeout: 5000 });
      assert.equal(await details.locator('.fingerprint').innerText(), fingerprints.get('k1'));
      const locks = await details
        .locator('.link-lock')
        .evaluateAll((els) => els.map((el) => [el.getAttribute('data-security'), el.getAttribute('aria-label')]));
      assert.ok(locks.length > 0, 'k1 has neighbours');
      for (const [security, label] of locks) {
        assert.equal(security, 'verified');
        assert.match(String(label), /keys verified/);
      }
    } finally {
      await page.close();
      await network.close();
    }
  });

  it('live chord: ring links are drawn verified too (each end reports the key its link presented)', async () => {
    const network = await LiveNetwork.start();
    const page = await browser.context.newPage();
    try {
      const ids = ['r1', 'r2', 'r3'];
      for (const id of ids) await (await network.addPeer(id, 'chord')).waitForEvent((e) => e.event === 'ready');
      await network.waitForPeers(ids);
      await page.goto(network.pageUrl);
      await page.waitForFunction(
        (count) => {
          const lines = [...document.querySelectorAll('[data-link]')];
          return lines.length >= count && lines.every((l) => l.getAttribute('data-security') === 'verified');
        },
        ids.length,
        { timeout: 15_000 },
      );
      const snapshot = await network.topology();
      for (const peer of snapshot.peers) {
        for (const [neighbor, key] of Object.entries(peer.neighborKeys ?? {}))
          assert.equal(key, snapshot.peers.find((p) => p.id === neighbor)?.fingerprint, `${peer.id} saw ${neighbor}`);
        assert.ok(Object.keys(peer.neighborKeys ?? {}).length > 0, `${peer.id} reported its links' keys`);
      }
    } finally {
      await page.close();
      await network.close();
    }
  });

  it('in memory: a link without reported keys is encrypted, a wrong key flagged, keyless peer plain', async () => {
    const topology = new InMemoryTopology();
    const peer = (id: string, mode: TopologyPeer['mode'], keys: Pick<TopologyPeer, 'fingerprint' | 'neighborKeys'>) =>
      topology.addPeer(id, 4000 + Number(id.slice(1)), mode, [], keys);
    peer('a1', 'flood', { fingerprint: fp('a'), neighborKeys: { a2: fp('e') } }); // sees a key a2 never registered
    peer('a2', 'flood', { fingerprint: fp('b'), neighborKeys: { a1: fp('a') } });
    peer('c1', 'chord', { fingerprint: fp('c') });
    peer('c2', 'chord', { fingerprint: fp('d') });
    peer('p1', 'flood', {});
    const bridge = new TopologyBridge(topology, { host: '127.0.0.1', port: 0 });
    const page = await browser.context.newPage();
    try {
      const { url } = await bridge.listen();
      await page.goto(url);
      await page.locator('[data-peer-id="p1"]').waitFor({ timeout: 5000 });
      // links arrive after the keys: the page re-derives each link's mark as the picture changes
      topology.link('a1', 'a2');
      topology.link('c1', 'c2');
      topology.link('a2', 'p1');
      await page.locator('[data-link="a2|p1"][data-security]').waitFor({ timeout: 5000 });
      const marks = await linkMarks(page);
      assert.equal(marks['a1|a2']?.security, 'mismatch');
      assert.match(marks['a1|a2']!.title, /not the one its peer registered with/);
      assert.equal(marks['c1|c2']?.security, 'encrypted');
      assert.equal(marks['a2|p1']?.security, 'plain');
      await page.locator('[data-peer-id="p1"]').click();
      assert.equal(await page.locator('.details dd', { hasText: 'unknown' }).count(), 1, 'no fingerprint known');
    } finally {
      await page.close();
      await bridge.close();
    }
  });
});
