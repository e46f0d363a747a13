// Acceptance: the topology page in a real Chromium against a LIVE metaserver (dist/p2p-node.js
// with --http-port) and six real flood peers. The drawn picture is read only through
// data-peer-id / data-link and compared with GET /api/topology.
import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import { launchChromium, type Chromium } from './support/chromium';
import { LiveNetwork } from './support/live-network';
import { drawnPeerIds, expectedPicture, waitForPicture } from './support/page-reading';

const PEERS = ['s1', 's2', 's3', 's4', 's5', 's6'];

describe('topology page against a live metaserver with 6 peers', function () {
  this.timeout(90_000);
  let network: LiveNetwork;
  let browser: Chromium;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    network = await LiveNetwork.start();
    for (const id of PEERS) await network.addPeer(id);
    await network.waitForPeers(PEERS);
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(network.pageUrl);
    // Marks this document: if the page reloaded, the mark would be gone.
    await page.evaluate(() => {
      (window as unknown as { liveMark: number }).liveMark = 1;
    });
  });

  after(async () => {
    await browser?.close();
    await network?.close();
  });

  const livePicture = async () => expectedPicture(await network.topology());
  const stillSameDocument = async () =>
    assert.equal(await page.evaluate(() => (window as unknown as { liveMark?: number }).liveMark), 1);

  it('draws every peer and every link of /api/topology', async () => {
    await waitForPicture(page, livePicture, 5000);
    assert.deepEqual(await drawnPeerIds(page), PEERS);
    mkdirSync('test-artifacts', { recursive: true });
    await page.waitForTimeout(1500); // a settled layout makes a readable screenshot
    await page.screenshot({ path: 'test-artifacts/topology.png' });
  });

  it('removes a peer that leaves (STOP) within 2 s, without a reload', async () => {
    const leaving = network.peers.get('s3');
    assert.ok(leaving);
    const started = Date.now();
    leaving.command('STOP');
    await page.locator('[data-peer-id="s3"]').waitFor({ state: 'detached', timeout: 2000 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed <= 2000, `took ${elapsed} ms`);
    assert.equal(await leaving.exited, 0);
    network.peers.delete('s3');
    await stillSameDocument();
    // The network heals; the picture follows it.
    await waitForPicture(page, livePicture, 5000);
  });

  it('draws a peer that joins, without a reload', async () => {
    await network.addPeer('s7');
    await page.locator('[data-peer-id="s7"]').waitFor({ timeout: 5000 });
    await network.waitForPeers(['s1', 's2', 's4', 's5', 's6', 's7']);
    await waitForPicture(page, livePicture, 5000);
    await stillSameDocument();
  });

  it('animates a search across the links', async () => {
    // Animations are short: record any search element that appears instead of polling for it.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seenSearch: string[] }).seenSearch = seen;
      new MutationObserver((records) => {
        for (const record of records) {
          for (const node of record.addedNodes)
            if (node instanceof Element && node.matches('[data-activity="search"]')) seen.push('pulse');
          if (
            record.type === 'attributes' &&
            record.target instanceof Element &&
            record.target.classList.contains('flooding')
          )
            seen.push('flooding');
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
    });
    const searcher = network.peers.get('s1');
    assert.ok(searcher);
    await page.locator('[data-peer-id="s1"]').click(); // the details panel shows in the screenshot
    searcher.command('SEARCH s6.txt');
    await page
      .locator('[data-activity="search"]')
      .first()
      .waitFor({ state: 'attached', timeout: 3000 })
      .then(
        () => page.screenshot({ path: 'test-artifacts/topology-search.png' }),
        () => undefined,
      );
    await searcher.waitForEvent((e) => e.event === 'search-result' || e.event === 'not-found', 10_000);
    await page.waitForFunction(() => (window as unknown as { seenSearch: string[] }).seenSearch.length > 0, undefined, {
      timeout: 3000,
    });
    const seen = await page.evaluate(() => (window as unknown as { seenSearch: string[] }).seenSearch);
    assert.ok(seen.includes('pulse'), `search animation elements: ${seen.join(',')}`);
  });

  it('animates a download from holder to downloader', async () => {
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seenTransfer: string[] }).seenTransfer = seen;
      new MutationObserver((records) => {
        for (const record of records)
          for (const node of record.addedNodes)
            if (node instanceof Element && node.matches('[data-activity="transfer"]'))
              seen.push(node.getAttribute('class') ?? '');
      }).observe(document.body, { subtree: true, childList: true });
    });
    const downloader = network.peers.get('s2');
    assert.ok(downloader);
    downloader.command('GET s4.txt');
    await downloader.waitForEvent((e) => e.event === 'download-complete' || e.event === 'error', 15_000);
    assert.ok(
      downloader.events.some((e) => e.event === 'download-complete'),
      JSON.stringify(downloader.events.filter((e) => e.event === 'error')),
    );
    await page.waitForFunction(
      () => (window as unknown as { seenTransfer: string[] }).seenTransfer.length > 0,
      undefined,
      { timeout: 3000 },
    );
  });

  it('refuses /, /api/topology and /ws without the right token', async () => {
    for (const route of ['/', '/api/topology']) {
      assert.equal((await fetch(`${network.baseUrl}${route}`)).status, 401, route);
      assert.equal((await fetch(`${network.baseUrl}${route}?token=not-the-token`)).status, 403, route);
    }
    const wsStatus = (query: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${network.httpPort}/ws${query}`);
        socket.on('open', () => {
          socket.terminate();
          reject(new Error('opened without the token'));
        });
        socket.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          socket.terminate();
        });
        socket.on('error', reject);
      });
    assert.equal(await wsStatus(''), 401);
    assert.equal(await wsStatus('?token=not-the-token'), 403);
  });

  it('raised no page errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
