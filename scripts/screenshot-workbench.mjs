#!/usr/bin/env node
// Screenshot of a running workbench (e.g. `npm start`) with Debian's headless Chromium:
//
//   node scripts/screenshot-workbench.mjs [--url http://127.0.0.1:8080/] [--out test-artifacts/workbench.png]
//        [--view p2p]          click this activity-bar container first (default p2p; "none" to skip)
//        [--command "P2P: Show Topology"]   run a command from the palette before the shot
//        [--press Enter]...    then press these keys, each once a prompt is open (e.g. accept its default)
//        [--wait 1500]         ms to wait after the last action
//
// Also a smoke check of `npm start`: exits 1 if the activity-bar item cannot be found.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumEnv } from './chromium-args.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const url = arg('url', 'http://127.0.0.1:8080/');
const out = arg('out', 'test-artifacts/workbench.png');
const view = arg('view', 'p2p');
const command = arg('command', '');
const waitMs = Number(arg('wait', '1500'));
const presses = process.argv.flatMap((a, i) => (a === '--press' && process.argv[i + 1] ? [process.argv[i + 1]] : []));

const browserHome = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-screenshot-'));
process.env.TMPDIR = browserHome; // Playwright's temporary profile
const browser = await chromium.launch({
  env: chromiumEnv(browserHome),
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: CHROMIUM_ARGS,
});
let code = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url, { timeout: 60_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  if (view !== 'none') {
    // Activity-bar entries are <li class="action-item"> holding an <a> whose aria-label is the container title;
    // the container id appears in the action's id/class as workbench.view.extension.<id>.
    const item = page
      .locator(
        `.activitybar .action-item:has(.action-label[class*="workbench-view-extension-${view}"]), ` +
          `.activitybar .action-item:has([id="workbench.view.extension.${view}"])`,
      )
      .first();
    const fallback = page.locator('.activitybar .action-item a[aria-label^="P2P"]').first();
    const target = (await item.count()) > 0 ? item : fallback;
    await target.waitFor({ timeout: 30_000 });
    await target.click();
  }
  if (command) {
    await page.keyboard.press('F1');
    await page.keyboard.type(command);
    await page.keyboard.press('Enter');
  }
  for (const key of presses) {
    await page.locator('.quick-input-widget .quick-input-box input').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1000);
    await page.keyboard.press(key);
  }
  await page.waitForTimeout(waitMs);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  await page.screenshot({ path: out });
  process.stdout.write(`${out}\n`);
} catch (err) {
  process.stderr.write(`[screenshot] ${err?.message ?? err}\n`);
  code = 1;
} finally {
  await browser.close();
  fs.rmSync(browserHome, { recursive: true, force: true, maxRetries: 3 });
}
process.exit(code);
