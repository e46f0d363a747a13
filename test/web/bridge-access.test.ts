// The bridge's HTTP and WebSocket doors, against a real TopologyBridge on a real port: what is
// served with the token, what is refused without it, and that close() leaves nothing behind.
import { setTimeout as sleep } from 'node:timers/promises';
import * as assert from 'node:assert/strict';
import WebSocket from 'ws';
import { TopologyBridge } from '@node-core/bridge';
import type { BridgeMessage } from '@node-core/topology';
import { InMemoryTopology, buildMesh } from './support/in-memory-topology';

function wsStatus(url: string, headers: Record<string, string> = {}): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.on('open', () => {
      socket.terminate();
      resolve('open');
    });
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('error', (error) => reject(error));
  });
}

describe('TopologyBridge (HTTP + WebSocket doors)', () => {
  let topology: InMemoryTopology;
  let bridge: TopologyBridge;
  let base: string;
  let token: string;

  beforeEach(async () => {
    topology = new InMemoryTopology();
    buildMesh(topology, 4);
    bridge = new TopologyBridge(topology, { host: '127.0.0.1', port: 0 });
    const { port, url } = await bridge.listen();
    base = `http://127.0.0.1:${port}`;
    token = new URL(url).searchParams.get('token') ?? '';
    assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=`));
  });

  afterEach(() => bridge.close());

  it('serves the page, its assets and the snapshot with the token', async () => {
    const page = await fetch(`${base}/?token=${token}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(page.headers.get('access-control-allow-origin'), null);
    const html = await page.text();
    assert.match(html, /<script src="\/webview\.js\?token=/);
    assert.doesNotMatch(html, /<script>/, 'no inline script');
    const script = await fetch(`${base}/webview.js?token=${token}`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    const css = await fetch(`${base}/webview.css?token=${token}`);
    assert.equal(css.status, 200);
    const api = await fetch(`${base}/api/topology?token=${token}`);
    assert.equal(api.status, 200);
    assert.deepEqual(await api.json(), topology.snapshot());
  });

  it('accepts the token as a Bearer header on the API', async () => {
    const api = await fetch(`${base}/api/topology`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(api.status, 200);
  });

  it('refuses every route without the token (401) or with a wrong one (403)', async () => {
    for (const route of ['/', '/api/topology', '/webview.js', '/webview.css']) {
      assert.equal((await fetch(`${base}${route}`)).status, 401, route);
      assert.equal((await fetch(`${base}${route}?token=wrong`)).status, 403, route);
      const sep = route.includes('?') ? '&' : '?';
      assert.equal((await fetch(`${base}${route}${sep}token=${token}x`)).status, 403, route);
    }
    assert.equal(await wsStatus(`ws://127.0.0.1:${new URL(base).port}/ws`), 401);
    assert.equal(await wsStatus(`ws://127.0.0.1:${new URL(base).port}/ws?token=wrong`), 403);
  });

  it('serves nothing else: unknown paths 404, other methods 405', async () => {
    assert.equal((await fetch(`${base}/../package.json?token=${token}`)).status, 404);
    assert.equal((await fetch(`${base}/webview.js.map?token=${token}`)).status, 404);
    assert.equal((await fetch(`${base}/api/topology?token=${token}`, { method: 'POST' })).status, 405);
    assert.equal(await wsStatus(`ws://127.0.0.1:${new URL(base).port}/other?token=${token}`), 404);
  });

  it('refuses a WebSocket from another site but accepts the page, loopback and VS Code webviews', async () => {
    const ws = `ws://127.0.0.1:${new URL(base).port}/ws?token=${token}`;
    assert.equal(await wsStatus(ws, { Origin: 'https://evil.example' }), 403);
    assert.equal(await wsStatus(ws, { Origin: 'null' }), 403);
    assert.equal(await wsStatus(ws, { Origin: base }), 'open');
    assert.equal(await wsStatus(ws, { Origin: 'http://localhost:8080' }), 'open');
    assert.equal(await wsStatus(ws, { Origin: 'vscode-webview://1abc2def' }), 'open');
  });

  it('sends the snapshot, then each change, over /ws', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${new URL(base).port}/ws?token=${token}`);
    const messages: BridgeMessage[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as BridgeMessage));
    await new Promise((resolve) => socket.once('message', resolve));
    assert.equal(messages[0].type, 'snapshot');
    topology.addPeer('late', 41000);
    topology.link('late', 'p0');
    topology.removePeer('p1');
    await waitFor(() => messages.length >= 4);
    assert.deepEqual(
      messages.slice(1).map((m) => m.type),
      ['peer-joined', 'link-up', 'peer-left'],
    );
    socket.terminate();
  });

  it('close() drops connected clients and unsubscribes from the source', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${new URL(base).port}/ws?token=${token}`);
    await new Promise((resolve) => socket.once('message', resolve));
    assert.equal(topology.listenerCount, 1);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await bridge.close();
    await closed;
    assert.equal(topology.listenerCount, 0);
    await assert.rejects(fetch(`${base}/api/topology?token=${token}`));
  });

  it('drops a client that stops answering pings', async () => {
    await bridge.close();
    bridge = new TopologyBridge(topology, { host: '127.0.0.1', port: 0, keepaliveMs: 50 });
    const { port, url } = await bridge.listen();
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${new URL(url).searchParams.get('token')}`, {
      autoPong: false,
    });
    await new Promise((resolve) => socket.once('message', resolve));
    await new Promise((resolve) => socket.once('close', resolve));
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}
