// Playwright side of extension-restore.test.ts's reload: opens a second VS Code window on the
// folder the test names, starts a demo network there from the Network view's welcome button,
// reloads that window for real (a new extension host) and reads its Network view once the nodes
// are back, with the restore's status-bar note. The README's picture (docs/restore.png) comes
// from here. On the test's word it reloads again (restore now off: the view shows its welcome),
// then closes the window.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resizeSidebar } from '../support/workbench-page.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * @param {{
 *   page: import('playwright-core').Page,
 *   baseUrl: string,
 *   waitForLog: (re: RegExp) => Promise<string>,
 *   reply: (v: unknown) => void,
 * }} ctx
 */
export default async function ({ page, baseUrl, waitForLog, reply }) {
  const line = await waitForLog(/\[restore-reload\] open (\d+) (\S+)/);
  const [, peers, folder] = /open (\d+) (\S+)/.exec(line);
  // A window of its own (own storage too), as a second VS Code window would be.
  const context = await page.context().browser().newContext({ viewport: page.viewportSize() });
  const window = await context.newPage();
  try {
    await window.goto(windowUrl(baseUrl, folder), { timeout: 60_000 });
    let network = await showNetworkView(window);
    await resizeSidebar(window, 480);
    await network.locator('.welcome-view-content .monaco-button', { hasText: 'Start Demo Network' }).click();
    const before = await nodeRows(network, Number(peers));
    await window.reload({ timeout: 60_000 });
    network = await showNetworkView(window, { reopened: true });
    await resizeSidebar(window, 480);
    const after = await nodeRows(network, Number(peers));
    const note = window.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: 'P2P: restored' });
    await note.first().waitFor({ timeout: 30_000 });
    // no hover of the activity bar (it follows the mouse and the keyboard focus) in the picture
    await window.mouse.move(window.viewportSize().width - 40, 300);
    await window.keyboard.press('Escape');
    await window.locator('.workbench-hover').first().waitFor({ state: 'hidden', timeout: 5_000 });
    await window.screenshot({ path: 'test-artifacts/vscode/restore.png', clip: await clipOf(window, note.first()) });
    reply({ before, after, note: (await note.first().innerText()).trim() });

    // The test turns p2p.restoreOnStartup off in the folder's settings: after this reload, nothing.
    await waitForLog(/\[restore-reload\] reload, restore off/);
    await window.reload({ timeout: 60_000 });
    network = await showNetworkView(window, { reopened: true });
    const buttons = network.locator('.welcome-view-content .monaco-button');
    await buttons.first().waitFor({ timeout: 60_000 });
    reply({ welcome: (await buttons.allInnerTexts()).map((t) => t.trim()) });
    await waitForLog(/\[restore-reload\] close/);
  } catch (err) {
    // what the second window showed instead, for the post-mortem
    await window.screenshot({ path: 'test-artifacts/vscode/restore-reload-driver.png' }).catch(() => undefined);
    throw err;
  } finally {
    // Navigating away runs the workbench's shutdown, which ends its extension host and the nodes.
    await window.goto('about:blank').catch(() => undefined);
    await context.close();
  }
  reply({ closed: true });
}

/** A second window on `folder` with this repo's extension loaded, and no tests. */
function windowUrl(baseUrl, folder) {
  const remote = `vscode-remote://${new URL(baseUrl).host}${repoRoot}`;
  const payload = [
    ['extensionDevelopmentPath', remote],
    ['skipWelcome', 'true'],
  ];
  return `${baseUrl}?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * The Network pane. A fresh window opens the Explorer, so the P2P container is clicked open; a
 * reloaded one brings back the container it showed (clicking it then could close it again).
 */
async function showNetworkView(window, { reopened = false } = {}) {
  if (!reopened) {
    const item = window.locator('.activitybar .action-item a[aria-label^="P2P Network"]');
    await item.first().waitFor({ timeout: 60_000 });
    await item.first().click();
  }
  const sidebar = window.locator('#workbench\\.parts\\.sidebar');
  const headerIn = (root, title) =>
    root.locator('.pane-header', { has: window.locator('h3.title', { hasText: title }) });
  const header = (title) => headerIn(sidebar, title);
  await header(/^network$/i)
    .first()
    .waitFor({ timeout: 60_000 });
  // The other two views collapsed, so the whole network fits in the picture; kept across the reload.
  for (const title of [/^network files$/i, /^transfers$/i]) {
    const other = header(title).first();
    if ((await other.getAttribute('aria-expanded')) === 'true') await other.click();
  }
  return sidebar.locator('.pane', { has: headerIn(window, /^network$/i) });
}

/** Waits until the Network view shows the metaserver and `peers` peers; their labels and descriptions. */
async function nodeRows(network, peers) {
  const rows = network.locator('.monaco-list-row[aria-level="1"]');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const drawn = await rows.evaluateAll((els) =>
      els.map((el) => ({
        name: el.querySelector('.label-name')?.textContent?.trim() ?? '',
        description: el.querySelector('.label-description')?.textContent?.trim() ?? '',
      })),
    );
    const running = drawn.filter((r) => /^127\.0\.0\.1:\d+/.test(r.description));
    if (running.length === peers + 1) return running;
    if (Date.now() > deadline)
      throw new Error(`the Network view never showed ${peers} peers: ${JSON.stringify(drawn)}`);
    await network.page().waitForTimeout(200); // polling the drawn rows: VS Code gives no event for them
  }
}

/** The side bar and the status bar's note, cropped: the rest of the window is an empty editor. */
async function clipOf(window, note) {
  const sidebar = await window.locator('#workbench\\.parts\\.sidebar').boundingBox();
  const noteBox = await note.boundingBox();
  const viewport = window.viewportSize();
  const right = Math.max(sidebar.x + sidebar.width, noteBox.x + noteBox.width) + 24;
  return { x: 0, y: 0, width: Math.min(viewport.width, Math.ceil(right)), height: viewport.height };
}
