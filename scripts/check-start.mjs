#!/usr/bin/env node
// Smoke check of `npm start` (the last suite of `npm test`): runs `npm run package`, starts
// scripts/start-code-server.mjs on a free port, opens the printed URL in headless Chromium,
// clicks the P2P Network activity-bar item and expects its two views; saves a screenshot to
// test-artifacts/npm-start.png; stops the server with SIGINT as Ctrl-C would and checks that
// it exits. Exits non-zero on any failure.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort } from './code-server-process.mjs';
import { CHROMIUM_ARGS, chromiumEnv } from './chromium-args.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shot = path.join(repoRoot, 'test-artifacts', 'npm-start.png');
const port = await freePort();
const say = (m) => process.stdout.write(`[check-start] ${m}\n`);

const pack = spawnSync('npm', ['run', 'package'], { cwd: repoRoot, encoding: 'utf8' });
if (pack.status !== 0) {
  say(`FAILED: npm run package exited ${pack.status}\n${`${pack.stdout}${pack.stderr}`.slice(-3000)}`);
  process.exit(1);
}
say('npm run package: ok');

const start = spawn(
  process.execPath,
  [path.join(repoRoot, 'scripts', 'start-code-server.mjs'), '--port', String(port)],
  {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let output = '';
start.stdout.on('data', (d) => (output += d));
start.stderr.on('data', (d) => (output += d));
const exited = new Promise((r) => start.once('exit', (code, signal) => r(code ?? signal)));

// Chromium's profile, crash reports and caches go here, not to $HOME; removed at the end.
const browserHome = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-check-start-'));
process.env.TMPDIR = browserHome; // Playwright's temporary profile
let browser;
let ok = false;
try {
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no URL printed within 180 s')), 180_000);
    const onData = () => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+)/.exec(output);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    };
    start.stdout.on('data', onData);
    exited.then((code) => reject(new Error(`npm start exited early (${code})`)));
  });
  say(`serving ${url}`);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    env: chromiumEnv(browserHome),
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url, { timeout: 60_000 });
  const item = page.locator('.activitybar .action-item a[aria-label^="P2P Network"]').first();
  await item.waitFor({ timeout: 60_000 });
  await item.click();
  const headers = page.locator('#workbench\\.parts\\.sidebar .pane-header h3.title');
  await headers.nth(2).waitFor({ timeout: 30_000 });
  const views = (await headers.allInnerTexts()).map((t) => t.trim().toLowerCase());
  await page.waitForTimeout(1000);
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot });
  if (views.join('|') !== 'network|network files|transfers')
    throw new Error(`unexpected views in the P2P container: ${views.join(', ')}`);
  say(`P2P Network container shows ${views.join(', ')}; screenshot ${path.relative(repoRoot, shot)}`);
  ok = true;
} catch (err) {
  say(`FAILED: ${err?.message ?? err}\n--- npm start output ---\n${output.slice(-3000)}`);
} finally {
  await browser?.close().catch(() => {});
  start.kill('SIGINT');
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
  if (code === 'timeout') {
    start.kill('SIGKILL');
    say('FAILED: npm start did not stop within 15 s of Ctrl-C');
    ok = false;
  }
}
fs.rmSync(browserHome, { recursive: true, force: true, maxRetries: 3 });
say(ok ? 'ok' : 'failed');
process.exit(ok ? 0 : 1);
