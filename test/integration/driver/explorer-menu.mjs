// Playwright side of extension-explorer-menu.test.ts: right-clicks a file in the Explorer and
// replies with the context menu's entries, once with no peer running and once with one, so the
// test can check that "P2P: Share File" follows the p2p.peerRunning context key. Then right-clicks
// a folder and clicks "P2P: Share Folder", and in Network Files selects two results (click,
// Ctrl+click) and clicks "P2P: Download File" in their context menu. The README's pictures of
// both menus (docs/share-folder.png, docs/download-selection.png) come from here.
import { resizeSidebar } from '../support/workbench-page.mjs';

/**
 * @param {{
 *   page: import('playwright-core').Page,
 *   waitForLog: (re: RegExp) => Promise<string>,
 *   reply: (v: unknown) => void,
 * }} ctx
 */
export default async function ({ page, waitForLog, reply }) {
  const sidebar = page.locator('#workbench\\.parts\\.sidebar');
  for (const phase of ['idle', 'peer']) {
    const file = wordsAfter(await waitForLog(new RegExp(`\\[explorer-menu\\] ${phase} (\\S+)`)), phase)[0];
    const labels = await openMenu(page, sidebar.locator('.monaco-list-row', { hasText: file }).first());
    await page.keyboard.press('Escape');
    reply({ phase, labels });
  }

  const [folder] = wordsAfter(await waitForLog(/\[explorer-menu\] folder (\S+)/), 'folder');
  // wider for the pictures, so the rows' descriptions show; narrow again for the drivers after
  const narrow = await resizeSidebar(page, 480);
  const folderRow = sidebar.locator('.monaco-list-row', { hasText: folder }).first();
  const folderMenu = await openMenu(page, folderRow);
  await picture(page, 'share-folder.png');
  await clickMenuItem(page, 'P2P: Share Folder');
  reply({ labels: folderMenu });

  const names = wordsAfter(await waitForLog(/\[explorer-menu\] files (\S+) (\S+)/), 'files');
  const pane = sidebar.locator('.pane', {
    has: page.locator('.pane-header h3.title', { hasText: /^network files$/i }),
  });
  const rows = names.map((name) => pane.locator('.monaco-list-row', { hasText: name }).first());
  await rows[0].waitFor({ timeout: 15_000 });
  await rows[1].waitFor({ timeout: 15_000 });
  // Ctrl+click selects without expanding the row (a plain click would open its holders)
  for (const row of rows) await row.click({ modifiers: ['Control'] });
  const selected = await pane.locator('.monaco-list-row.selected').count();
  const fileMenu = await openMenu(page, rows[1]);
  await picture(page, 'download-selection.png');
  await clickMenuItem(page, 'P2P: Download File');
  await resizeSidebar(page, (await sidebar.boundingBox()).x + narrow);
  reply({ selected, labels: fileMenu });
}

/** The words of a log line after `marker`. */
function wordsAfter(line, marker) {
  return line
    .slice(line.indexOf(`${marker} `) + marker.length + 1)
    .trim()
    .split(/\s+/);
}

/** Right-clicks `row` once it is drawn; the context menu's entries. */
async function openMenu(page, row) {
  await row.waitFor({ timeout: 15_000 });
  await row.click({ button: 'right' });
  const items = page.locator('.context-view .monaco-menu .action-item .action-label');
  await items.first().waitFor({ timeout: 10_000 });
  return (await items.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
}

async function clickMenuItem(page, label) {
  await page.locator('.context-view .monaco-menu .action-item .action-label', { hasText: label }).first().click();
}

/** The side bar with the open context menu, cropped: the editor beside them is empty. */
async function picture(page, name) {
  const boxes = [
    await page.locator('#workbench\\.parts\\.sidebar').boundingBox(),
    await page.locator('.context-view .monaco-menu').first().boundingBox(),
  ];
  const viewport = page.viewportSize();
  const right = Math.max(...boxes.map((b) => b.x + b.width)) + 16;
  const clip = { x: 0, y: 0, width: Math.min(viewport.width, Math.ceil(right)), height: viewport.height };
  await page.screenshot({ path: `test-artifacts/vscode/${name}`, clip }).catch(() => undefined);
}
