// Traffic on the topology page (Chromium, real bridge, in-memory source): a link that carries
// file bytes is drawn thicker with its rate as a label, a holder → getter pair that is no
// overlay link gets a flow line, rates fall away once reports stop, and a peer's details show
// its upload and download over the last minute.
import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { TopologyBridge } from '@node-core/bridge';
import { launchChromium, type Chromium } from './support/chromium';
import { InMemoryTopology, buildMesh } from './support/in-memory-topology';
import { expectedPicture, waitForPicture } from './support/page-reading';

const MiB = 1024 * 1024;

describe('topology page: traffic (Chromium, in-memory source)', () => {
  let browser: Chromium;
  let topology: InMemoryTopology;
  let bridge: TopologyBridge;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    browser = await launchChromium();
  });
  after(() => browser?.close());

  beforeEach(async () => {
    topology = new InMemoryTopology();
    buildMesh(topology, 6); // a ring: p0-p1-…-p5-p0
    bridge = new TopologyBridge(topology, { host: '127.0.0.1', port: 0 });
    const { url } = await bridge.listen();
    page = await browser.context.newPage();
    errors.length = 0;
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(url);
    await waitForPicture(page, async () => expectedPicture(topology.snapshot()));
  });

  afterEach(async () => {
    await page.close();
    await bridge.close();
    assert.deepEqual(errors, [], 'no page errors');
  });

  const rateOf = (selector: string): Promise<number> =>
    page
      .locator(selector)
      .getAttribute('data-rate')
      .then((v) => Number(v));
  const widthOf = (selector: string): Promise<number> =>
    page.locator(selector).evaluate((el) => parseFloat(getComputedStyle(el).strokeWidth));

  it('draws a busy link thicker with its rate, and a direct transfer as a labelled flow line', async () => {
    const idleWidth = await widthOf('[data-link="p0|p1"]');
    topology.emit({ type: 'traffic', to: 'p1', flows: [{ from: 'p0', bytes: 2 * MiB }] });
    topology.emit({ type: 'traffic', to: 'p0', flows: [{ from: 'p3', bytes: 64 * 1024 }] });
    const label = page.locator('[data-link-label="p0|p1"]');
    await label.waitFor();
    assert.equal(await label.textContent(), '1.0 MiB/s', 'two MiB over the two-second window');
    assert.equal(await rateOf('[data-link="p0|p1"]'), MiB);
    const busyWidth = await widthOf('[data-link="p0|p1"]');
    assert.ok(busyWidth > idleWidth + 2, `busy ${busyWidth} vs idle ${idleWidth}`);

    // p0 and p3 are not neighbours: the download is drawn as a flow of its own
    const flow = page.locator('[data-flow="p0|p3"]');
    await flow.waitFor({ state: 'attached' });
    assert.equal(await rateOf('[data-flow="p0|p3"]'), 32 * 1024);
    assert.equal(await page.locator('[data-link-label="p0|p3"]').textContent(), '32 KiB/s');
    assert.ok((await widthOf('[data-flow="p0|p3"]')) < busyWidth, 'a slower flow is thinner');
    assert.equal(await page.locator('[data-link="p0|p3"]').count(), 0, 'no overlay link is invented');

    // with no more reports, rates fall away within a few seconds
    await label.waitFor({ state: 'detached', timeout: 5000 });
    await flow.waitFor({ state: 'detached', timeout: 2000 });
    assert.equal(await page.locator('[data-link="p0|p1"]').getAttribute('data-rate'), null);
    assert.ok(Math.abs((await widthOf('[data-link="p0|p1"]')) - idleWidth) < 0.01);
  });

  it("shows a peer's upload and download over the last minute in its details", async () => {
    await page.locator('[data-peer-id="p0"]').click();
    topology.emit({ type: 'traffic', to: 'p1', flows: [{ from: 'p0', bytes: 3 * MiB }] });
    topology.emit({ type: 'traffic', to: 'p0', flows: [{ from: 'p5', bytes: MiB }] });
    const traffic = page.locator('.details .traffic');
    await page.waitForFunction(
      () => Number(document.querySelector('.details .traffic')?.getAttribute('data-traffic-up')) > 0,
    );
    assert.equal(await traffic.getAttribute('data-traffic-up'), String(3 * MiB));
    assert.equal(await traffic.getAttribute('data-traffic-down'), String(MiB));
    assert.match((await traffic.locator('.traffic-summary').textContent()) ?? '', /up 3\.0 MiB\/s · down 1\.0 MiB\/s/);
    for (const kind of ['up', 'down']) {
      const points = (await traffic.locator(`[data-chart="${kind}"]`).getAttribute('points'))?.split(' ') ?? [];
      assert.equal(points.length, 60, `${kind}: one point per second`);
    }
    assert.match((await traffic.locator('svg').getAttribute('aria-label')) ?? '', /last minute: up 3\.0 MiB\/s/);
    // p2 and p4 are not neighbours: their transfer shows in the picture as a dashed flow
    topology.emit({ type: 'traffic', to: 'p2', flows: [{ from: 'p4', bytes: MiB }] });
    await page.locator('[data-flow="p2|p4"]').waitFor({ state: 'attached' });
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/topology-traffic.png' }); // the README's picture
    // the chart moves on with the clock: the last second's value leaves the "now" slot
    await page.waitForFunction(
      () => document.querySelector('.details .traffic')?.getAttribute('data-traffic-up') === '0',
      undefined,
      { timeout: 4000 },
    );
    const up = await traffic.locator('[data-chart="up"]').getAttribute('points');
    assert.ok(
      up?.split(' ').some((p) => Number(p.split(',')[1]) < 39),
      'the peak is still on the chart',
    );
  });
});
