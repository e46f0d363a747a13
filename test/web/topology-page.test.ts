// The page in a real Chromium against a real bridge fed by an in-memory TopologySource: the
// behaviours that need exact control (chord ring, transfers, reconnect, keyboard, themes).
// topology-live.test.ts checks the same page against a live metaserver and real peers.
import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { TopologyBridge } from '@node-core/bridge';
import { launchChromium, type Chromium } from './support/chromium';
import { InMemoryTopology, buildMesh } from './support/in-memory-topology';
import { drawnPeerIds, expectedPicture, waitForPicture } from './support/page-reading';

describe('topology page (Chromium, in-memory source)', () => {
  let browser: Chromium;
  let topology: InMemoryTopology;
  let bridge: TopologyBridge;
  let url: string;
  let page: Page;

  before(async () => {
    browser = await launchChromium();
  });
  after(() => browser?.close());

  beforeEach(async () => {
    topology = new InMemoryTopology();
    buildMesh(topology, 6);
    bridge = new TopologyBridge(topology, { host: '127.0.0.1', port: 0 });
    url = (await bridge.listen()).url;
    page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    (page as Page & { errors?: string[] }).errors = errors;
    await page.goto(url);
    await waitForPicture(page, async () => expectedPicture(topology.snapshot()));
  });

  afterEach(async () => {
    const errors = (page as Page & { errors?: string[] }).errors ?? [];
    await page.close();
    await bridge.close();
    assert.deepEqual(
      errors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED/.test(e)),
      [],
      'no page errors (CSP violations included)',
    );
  });

  it('draws every peer and link, then follows joins, links and departures live', async () => {
    topology.addPeer('newcomer', 42000);
    topology.link('newcomer', 'p2');
    topology.unlink('p0', 'p1');
    topology.removePeer('p4');
    await waitForPicture(page, async () => expectedPicture(topology.snapshot()));
    assert.equal(await page.locator('[data-peer-item]').count(), 6, 'list view follows too');
    await page.locator('.status[data-state="open"]').waitFor();
  });

  it('draws a peer behind NAT and every link to it dash-dotted (relayed), the others not', async () => {
    topology.addPeer('home', 42001, 'flood', [], { relayed: true });
    topology.link('home', 'p1');
    topology.link('home', 'p2');
    await waitForPicture(page, async () => expectedPicture(topology.snapshot()));
    const relayedLinks = await page
      .locator('line.link[data-relayed="true"]')
      .evaluateAll((lines) => lines.map((l) => l.getAttribute('data-link')));
    assert.deepEqual(relayedLinks.sort(), ['home|p1', 'home|p2']);
    const home = page.locator('[data-peer-id="home"]');
    assert.equal(await home.getAttribute('data-relayed'), 'true');
    assert.match(String(await home.getAttribute('aria-label')), /behind NAT \(relayed\)/);
    const dash = await page
      .locator('line.link[data-link="home|p1"]')
      .evaluate((line) => getComputedStyle(line).strokeDasharray);
    assert.equal(dash, '10px, 3px, 2px, 3px', 'a relayed link is dash-dotted');
    const direct = await page
      .locator('line.link:not([data-relayed])')
      .first()
      .evaluate((line) => getComputedStyle(line).strokeDasharray);
    assert.notEqual(direct, dash, 'a direct link is drawn as its security says, not as relayed');
    assert.equal(await page.locator('[data-peer-id="p0"]').getAttribute('data-relayed'), null);
  });

  it("draws each link by the path its ends report: a NATed peer's link moved direct is solid", async () => {
    topology.addPeer('home', 42001, 'flood', [], { relayed: true });
    for (const other of ['p1', 'p2', 'p3']) topology.link('home', other);
    await waitForPicture(page, async () => expectedPicture(topology.snapshot()));
    const relayedLinks = (): Promise<string[]> =>
      page
        .locator('line.link[data-relayed="true"]')
        .evaluateAll((lines) => lines.map((l) => String(l.getAttribute('data-link'))).sort());
    assert.deepEqual(await relayedLinks(), ['home|p1', 'home|p2', 'home|p3'], 'no path reported: all relayed');

    // home's link to p2 moved direct after a punch; p3 still sees its own end of the link relayed
    topology.reportRelayedLinks('home', ['p1']);
    topology.reportRelayedLinks('p3', ['home']);
    await page.locator('line.link[data-link="home|p2"]:not([data-relayed])').waitFor({ timeout: 5000 });
    assert.deepEqual(await relayedLinks(), ['home|p1', 'home|p3'], 'relayed where either end says so');
    const style = (key: string): Promise<string> =>
      page.locator(`line.link[data-link="${key}"]`).evaluate((line) => getComputedStyle(line).strokeDasharray);
    assert.equal(await style('home|p1'), '10px, 3px, 2px, 3px', 'the still-relayed link is dash-dotted');
    assert.notEqual(await style('home|p2'), await style('home|p1'), 'the moved link is not');
    const home = page.locator('[data-peer-id="home"]');
    assert.equal(await home.getAttribute('data-relayed'), 'true', 'the peer keeps its NAT marking');
    assert.match(String(await home.getAttribute('aria-label')), /behind NAT \(relayed\)/);

    topology.reportRelayedLinks('home', []);
    topology.reportRelayedLinks('p3', []);
    await page.locator('line.link[data-relayed="true"]').first().waitFor({ state: 'detached', timeout: 5000 });
    assert.deepEqual(await relayedLinks(), [], 'every link moved direct');
  });

  it('animates a search hop by hop along its path and a transfer from holder to downloader', async () => {
    topology.emit({ type: 'search', origin: 'p0', name: 'file-3.txt', queryId: 'q1', path: ['p0', 'p1', 'p2', 'p3'] });
    await page.locator('[data-activity="search"]').first().waitFor({ state: 'attached', timeout: 1000 });
    await page.locator('[data-link="p0|p1"].flooding').waitFor({ state: 'attached', timeout: 1000 });
    await page.locator('[data-link="p2|p3"].flooding').waitFor({ state: 'attached', timeout: 2000 });
    await page.locator('[data-activity="search"]').first().waitFor({ state: 'detached', timeout: 3000 });
    assert.equal(await page.locator('.flooding').count(), 0, 'the flood marks clear afterwards');

    topology.emit({ type: 'transfer', from: 'p3', to: 'p0', name: 'file-3.txt', bytes: 10, total: 100, done: false });
    await page.locator('.transfer-path[data-activity="transfer"]').waitFor({ state: 'attached', timeout: 1000 });
    topology.emit({ type: 'transfer', from: 'p3', to: 'p0', name: 'file-3.txt', bytes: 100, total: 100, done: true });
    await page.locator('[data-activity="transfer"]').first().waitFor({ state: 'detached', timeout: 3000 });
  });

  it('without a path, floods from the origin to its neighbours', async () => {
    topology.emit({ type: 'search', origin: 'p0', name: 'x', queryId: 'q2', path: [] });
    await page.locator('[data-peer-id="p0"].searching').waitFor({ timeout: 1000 });
    assert.ok((await page.locator('.search-pulse').count()) >= 2);
  });

  it("shows a peer's details on click and on Enter, and reaches peers by keyboard", async () => {
    await page.locator('[data-peer-id="p2"]').click();
    const details = page.locator('aside.details');
    await details.getByText('Peer p2').waitFor();
    assert.match(await details.innerText(), /127\.0\.0\.1:40002/);
    assert.match(await details.innerText(), /file-2\.txt/);
    assert.match(await details.innerText(), /p1/);

    await page.locator('[data-peer-id="p5"]').focus();
    await page.keyboard.press('Enter');
    await details.getByText('Peer p5').waitFor();
    assert.equal(await page.locator('[data-peer-id="p5"]').getAttribute('aria-pressed'), 'true');
    assert.match(
      (await page.locator('[data-peer-id="p5"]').getAttribute('aria-label')) ?? '',
      /Peer p5, flood, \d+ neighbours?/,
    );

    await page.locator('[data-peer-item="p1"] button').click();
    await details.getByText('Peer p1').waitFor();

    // The graph is one Tab stop (roving tabindex); arrow keys move between peers.
    assert.equal(await page.locator('[data-peer-id][tabindex="0"]').count(), 1);
    await page.locator('[data-peer-id="p1"]').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-peer-id')), 'p2');
    await page.keyboard.press('End');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-peer-id')), 'p5');
    await page.keyboard.press('Enter');
    await details.getByText('Peer p5').waitFor();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate(() => document.activeElement?.getAttribute('data-peer-id')),
      'p5',
      'Tab returns to the last peer',
    );
  });

  it('reconnects after the bridge restarts, with backoff, and redraws', async () => {
    const port = Number(new URL(url).port);
    await bridge.close();
    await page.locator('.status[data-state="waiting"]').waitFor({ timeout: 3000 });
    topology.removePeer('p5');
    bridge = new TopologyBridge(topology, { host: '127.0.0.1', port, token: bridge.token });
    await bridge.listen();
    await page.locator('.status[data-state="open"]').waitFor({ timeout: 5000 });
    await waitForPicture(page, async () => expectedPicture(topology.snapshot()));
  });

  it('draws a chord ring in nodeId order, with fingers on demand', async () => {
    const ring = new InMemoryTopology();
    const ids = ['c0', 'c1', 'c2', 'c3', 'c4'];
    ids.forEach((id, i) => {
      ring.addPeer(id, 43000 + i, 'chord');
      const peer = ring.snapshot().peers.find((p) => p.id === id);
      if (!peer) return;
      ring.emit({
        type: 'peer-updated',
        peer: {
          ...peer,
          chord: {
            nodeId: `${i}`.padStart(40, 'a'),
            predecessor: ids[(i + 4) % 5],
            successors: [ids[(i + 1) % 5]],
            fingers: [ids[(i + 1) % 5], ids[(i + 2) % 5]],
          },
        },
      });
    });
    const chordBridge = new TopologyBridge(
      { snapshot: () => ({ peers: [] }), onChange: (l) => ring.onChange(l) },
      { host: '127.0.0.1', port: 0 },
    );
    const chordPage = await browser.context.newPage();
    try {
      await chordPage.goto((await chordBridge.listen()).url);
      // events emitted before the page's WebSocket is open reach nobody (the bridge's snapshot is empty)
      await chordPage.locator('.status[data-state="open"]').waitFor({ timeout: 10_000 });
      // The in-memory ring sends its chord details as updates; replay them to the new client.
      for (const [i, id] of ids.entries()) {
        ring.emit({
          type: 'peer-joined',
          peer: {
            id,
            host: '127.0.0.1',
            port: 43000 + i,
            mode: 'chord',
            neighbors: [],
            chord: {
              nodeId: `${i}`.padStart(40, 'a'),
              predecessor: ids[(i + 4) % 5],
              successors: [ids[(i + 1) % 5]],
              fingers: [ids[(i + 1) % 5], ids[(i + 2) % 5]],
            },
          },
        });
      }
      await chordPage.locator('[data-ring-edge]').nth(4).waitFor({ state: 'attached', timeout: 2000 });
      assert.deepEqual(await drawnPeerIds(chordPage), ids);
      assert.equal(await chordPage.locator('[data-finger-edge]').count(), 0);
      await chordPage.getByLabel('Show fingers').check();
      await chordPage.locator('[data-finger-edge]').first().waitFor({ state: 'attached', timeout: 1000 });
      assert.equal(await chordPage.locator('[data-finger-edge]').count(), 5);
    } finally {
      await chordPage.close();
      await chordBridge.close();
    }
  });

  it('follows the system theme standalone and saves a screenshot', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(dark, light);
    assert.equal(light, 'rgb(255, 255, 255)');
    mkdirSync('test-artifacts', { recursive: true });
    await page.waitForTimeout(1500); // let the layout settle for a readable picture
    await page.screenshot({ path: 'test-artifacts/topology-in-memory.png' });
  });
});
