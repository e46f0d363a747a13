// The VS Code panel's HTML (extension/src/topology/panel-html.ts) in a real Chromium: served
// from another origin, as a webview is, its strict CSP must still let the page bundle run and
// reach the bridge's WebSocket, and nothing else.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { TopologyBridge } from '@node-core/bridge';
import { bridgeEndpoint } from '../../extension/src/topology/bridge-endpoint';
import { renderPanelHtml } from '../../extension/src/topology/panel-html';
import { launchChromium, type Chromium } from './support/chromium';
import { InMemoryTopology, buildMesh } from './support/in-memory-topology';
import { expectedPicture, waitForPicture } from './support/page-reading';

describe('panel HTML (bridge endpoint, CSP)', () => {
  it('derives the WebSocket URL and connect-src from the page URL, keeping proxy prefixes', () => {
    const local = bridgeEndpoint('http://127.0.0.1:8080/?token=Ab-_9', 'http://127.0.0.1:8080/?token=Ab-_9');
    assert.equal(local.webSocketUrl, 'ws://127.0.0.1:8080/ws?token=Ab-_9');
    assert.deepEqual(local.connectSources, ['ws://127.0.0.1:8080', 'http://127.0.0.1:8080']);
    const remote = bridgeEndpoint('http://127.0.0.1:8080/?token=T', 'https://box.example/proxy/8080/?token=T');
    assert.equal(remote.webSocketUrl, 'wss://box.example/proxy/8080/ws?token=T');
    assert.deepEqual(remote.connectSources, ['wss://box.example', 'https://box.example']);
  });

  it("has a strict CSP: default-src none, one nonce'd script, no inline script", () => {
    const html = renderPanelHtml(
      {
        cspSource: 'https://webview.test',
        scriptUri: 'https://webview.test/dist/webview.js',
        styleUri: 'https://webview.test/dist/webview.css',
        endpoint: bridgeEndpoint('http://127.0.0.1:1/?token=T', 'http://127.0.0.1:1/?token=T'),
      },
      'NONCE',
    );
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-NONCE'(;|$)/);
    assert.match(csp, /style-src https:\/\/webview\.test(;|$)/);
    assert.match(csp, /connect-src ws:\/\/127\.0\.0\.1:1 http:\/\/127\.0\.0\.1:1(;|$)/);
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.match(html, /<script nonce="NONCE" src="https:\/\/webview\.test\/dist\/webview\.js"><\/script>/);
  });

  describe('in Chromium, served from another origin like a webview', () => {
    let browser: Chromium;
    let topology: InMemoryTopology;
    let bridge: TopologyBridge;
    let webviewHost: Server;

    before(async () => {
      browser = await launchChromium();
      topology = new InMemoryTopology();
      buildMesh(topology, 5);
      bridge = new TopologyBridge(topology, { host: '127.0.0.1', port: 0 });
      const { url } = await bridge.listen();
      const dist = path.resolve('dist');
      // Stands in for VS Code's webview host: another origin serving the panel HTML and dist/.
      webviewHost = createServer((request, response) => {
        const origin = `http://127.0.0.1:${(webviewHost.address() as AddressInfo).port}`;
        if (request.url === '/dist/webview.js' || request.url === '/dist/webview.css') {
          response.setHeader('Content-Type', request.url.endsWith('.js') ? 'text/javascript' : 'text/css');
          response.end(readFileSync(path.join(dist, path.basename(request.url))));
          return;
        }
        response.setHeader('Content-Type', 'text/html');
        response.end(
          renderPanelHtml({
            cspSource: origin,
            scriptUri: `${origin}/dist/webview.js`,
            styleUri: `${origin}/dist/webview.css`,
            endpoint: bridgeEndpoint(url, url),
          }),
        );
      });
      await new Promise<void>((resolve) => webviewHost.listen(0, '127.0.0.1', resolve));
    });

    after(async () => {
      await browser?.close();
      await bridge?.close();
      await new Promise((resolve) => webviewHost?.close(resolve));
    });

    it('runs the page bundle under the panel CSP and draws the network from the meta-configured bridge', async () => {
      const page = await browser.context.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      await page.goto(`http://127.0.0.1:${(webviewHost.address() as AddressInfo).port}/`);
      await waitForPicture(page, async () => expectedPicture(topology.snapshot()));
      assert.equal(await page.locator('body').getAttribute('data-host'), 'vscode');
      assert.deepEqual(violations, []);
      await page.close();
    });
  });
});
