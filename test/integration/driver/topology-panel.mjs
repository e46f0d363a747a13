// Playwright driver for test/integration/topology-panel.test.ts: finds the topology webview's
// frame in the workbench page and checks what it draws (data-peer-id / data-link) against the
// picture the extension test logged, plus the panel's CSP and theme. Replies its verdict to the
// extension test (reply/driverReply) and throws on failure (one failed driver test).
/* global getComputedStyle -- runs inside the webview frame through frame.evaluate */
import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';

const sorted = (values) => [...values].sort();

async function readPicture(frame) {
  return frame.evaluate(() => ({
    peers: [...document.querySelectorAll('[data-peer-id]')].map((e) => e.getAttribute('data-peer-id')).sort(),
    links: [...document.querySelectorAll('[data-link]')].map((e) => e.getAttribute('data-link')).sort(),
    rates: [...document.querySelectorAll('[data-link][data-rate]')].map((e) => [
      e.getAttribute('data-link'),
      Number(e.getAttribute('data-rate')),
    ]),
    flows: [...document.querySelectorAll('[data-flow]')].map((e) => e.getAttribute('data-flow')),
    csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '',
    scripts: [...document.querySelectorAll('script')].map((s) => ({
      nonce: s.nonce || s.getAttribute('nonce') || '',
      src: s.getAttribute('src') ?? '',
    })),
    host: document.body?.dataset.host ?? '',
    // The page must take the editor's theme: its background is --vscode-editor-background.
    background: getComputedStyle(document.body).backgroundColor,
    themeBackground: (() => {
      const probe = document.createElement('div');
      probe.style.backgroundColor = 'var(--vscode-editor-background)';
      document.body.append(probe);
      const color = getComputedStyle(probe).backgroundColor;
      probe.remove();
      return color;
    })(),
  }));
}

/** Polls the workbench's frames until one is the panel and `check` finds no problem in it. */
async function checkPanelFrame(page, check, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no frame of the topology page';
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      const picture = await readPicture(frame).catch(() => undefined);
      if (!picture || picture.host !== 'vscode') continue;
      const problems = check(picture);
      if (problems.length === 0) return { picture };
      last = problems.join('; ');
    }
    await sleep(250);
  }
  return { problem: last };
}

function drawingProblems(picture, expected) {
  const problems = [];
  if (JSON.stringify(picture.peers) !== JSON.stringify(sorted(expected.peers)))
    problems.push(`peers ${JSON.stringify(picture.peers)} != ${JSON.stringify(expected.peers)}`);
  if (JSON.stringify(picture.links) !== JSON.stringify(sorted(expected.links)))
    problems.push(`links ${JSON.stringify(picture.links)} != ${JSON.stringify(expected.links)}`);
  if (!/default-src 'none'/.test(picture.csp)) problems.push(`CSP lacks default-src 'none': ${picture.csp}`);
  const nonce = /script-src 'nonce-([^']+)'/.exec(picture.csp)?.[1];
  // VS Code adds an inline script of its own to every webview; ours is the one with a src.
  const ours = picture.scripts.filter((s) => s.src);
  if (!nonce || ours.length !== 1 || !/\/dist\/webview\.js$/.test(ours[0].src) || ours[0].nonce !== nonce)
    problems.push(`script/nonce: ${JSON.stringify(picture.scripts)} csp ${picture.csp}`);
  return [...problems, ...themeProblems(picture)];
}

function themeProblems(picture, wantDark) {
  const problems = [];
  if (picture.background !== picture.themeBackground)
    problems.push(`background ${picture.background} is not the theme's ${picture.themeBackground}`);
  if (wantDark !== undefined && isDark(picture.background) !== wantDark)
    problems.push(`background ${picture.background} is not ${wantDark ? 'dark' : 'light'}`);
  return problems;
}

function isDark(rgb) {
  const [r, g, b] = (rgb.match(/\d+/g) ?? ['255', '255', '255']).map(Number);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
}

export default async function topologyPanelDriver({ page, waitForLog, log, reply }) {
  let line;
  try {
    line = await waitForLog(/\[topology\] panel open /);
  } catch {
    log('the topology panel test did not run (filtered out?): nothing to check');
    return;
  }
  const expected = JSON.parse(line.slice(line.indexOf('{')));
  const drawn = await checkPanelFrame(page, (picture) => drawingProblems(picture, expected));
  reply({ ok: !drawn.problem, reason: drawn.problem });
  if (drawn.problem) throw new Error(`topology panel: ${drawn.problem}`);
  log(
    `panel frame draws ${drawn.picture.peers.length} peers and ${drawn.picture.links.length} links; ` +
      `CSP ok; background ${drawn.picture.background} = theme`,
  );
  fs.mkdirSync('test-artifacts/vscode', { recursive: true });
  await page.screenshot({ path: 'test-artifacts/vscode/topology-panel.png' }).catch(() => undefined);

  // Second act: the test switches VS Code to a dark theme; the open panel must follow live.
  try {
    await waitForLog(/\[topology\] theme dark/);
  } catch {
    return;
  }
  const dark = await checkPanelFrame(page, (picture) => themeProblems(picture, true), 10_000);
  reply({ ok: !dark.problem, reason: dark.problem });
  if (dark.problem) throw new Error(`topology panel theme: ${dark.problem}`);
  log(`panel follows the dark theme: background ${dark.picture.background}`);
  await page.screenshot({ path: 'test-artifacts/vscode/topology-panel-dark.png' }).catch(() => undefined);

  // Third act: a peer leaves; the open panel drops it live.
  let left;
  try {
    left = await waitForLog(/\[topology\] left (\S+)/);
  } catch {
    return;
  }
  const id = /\[topology\] left (\S+)/.exec(left)[1];
  const started = Date.now();
  const gone = await checkPanelFrame(
    page,
    (picture) =>
      picture.peers.includes(id) ? [`${id} still drawn`] : picture.peers.length === 0 ? ['no peers drawn'] : [],
    5000,
  );
  reply({ ok: !gone.problem, reason: gone.problem });
  if (gone.problem) throw new Error(`topology panel: ${gone.problem}`);
  log(`panel dropped ${id} ${Date.now() - started} ms after the command returned`);

  // Fourth act: a capped download between two peers; the panel draws its traffic while it runs.
  let traffic;
  try {
    traffic = await waitForLog(/\[topology\] traffic (\S+)/);
  } catch {
    return;
  }
  const pair = /\[topology\] traffic (\S+)/.exec(traffic)[1];
  const busy = await checkPanelFrame(
    page,
    (picture) =>
      picture.flows.includes(pair) || picture.rates.some(([link, rate]) => link === pair && rate > 0)
        ? []
        : [
            `no traffic drawn for ${pair}: rates ${JSON.stringify(picture.rates)}, ` +
              `flows ${JSON.stringify(picture.flows)}`,
          ],
    15_000,
  );
  if (!busy.problem)
    await page.screenshot({ path: 'test-artifacts/vscode/topology-panel-traffic.png' }).catch(() => {});
  reply({ ok: !busy.problem, reason: busy.problem });
  if (busy.problem) throw new Error(`topology panel traffic: ${busy.problem}`);
  log(`panel draws the traffic of ${pair}`);
}
