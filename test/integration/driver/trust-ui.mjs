// Playwright side of extension-trust.test.ts: right-clicks a neighbour in the Network view and
// chooses "P2P: Block Peer", replying with the menu's entries; then finds the key-change
// warning, replies with the text of every such notification, and clicks "Trust New Key".
/**
 * @param {{
 *   page: import('playwright-core').Page,
 *   waitForLog: (re: RegExp) => Promise<string>,
 *   reply: (v: unknown) => void,
 * }} ctx
 */
export default async function ({ page, waitForLog, reply }) {
  const blockLine = await waitForLog(/\[trust-ui\] block (\S+)/);
  const neighbor = blockLine.slice(blockLine.indexOf('block ') + 'block '.length).trim();
  // a neighbour row sits under peer → Neighbours, three levels deep
  const row = page.locator('#workbench\\.parts\\.sidebar .monaco-list-row[aria-level="3"]', { hasText: neighbor });
  const items = page.locator('.context-view .monaco-menu .action-item .action-label');
  // A Neighbours group that had no children when first drawn stays collapsed: open it as a user
  // would. The tree repaints as its peers report; a right-click that lands mid-repaint opens no menu.
  const collapsed = page.locator(
    '#workbench\\.parts\\.sidebar .monaco-list-row[aria-level="2"][aria-expanded="false"]',
    {
      hasText: 'Neighbours',
    },
  );
  for (let attempt = 1; ; attempt++) {
    if (await collapsed.count()) await collapsed.first().click();
    const opened = await row
      .first()
      .waitFor({ timeout: 5000 })
      .then(() => row.first().click({ button: 'right' }))
      .then(() => items.first().waitFor({ timeout: 3000 }))
      .then(
        () => true,
        () => false,
      );
    if (opened) break;
    if (attempt === 5) {
      await page.screenshot({ path: 'test-artifacts/vscode/trust-ui-no-menu.png' });
      throw new Error(`no context menu on "${neighbor}" after ${attempt} tries (screenshot trust-ui-no-menu.png)`);
    }
    await page.keyboard.press('Escape');
  }
  const labels = (await items.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
  // A click that lands while the menu is still being laid out leaves it open: choose the entry
  // again, by keyboard the last time, until the menu has gone.
  const entry = page.locator('.context-view .monaco-menu .action-label', { hasText: 'P2P: Block Peer' }).first();
  for (let attempt = 1; (await items.count()) > 0; attempt++) {
    if (attempt > 4) throw new Error('the context menu stayed open after choosing P2P: Block Peer');
    if (attempt < 4) await entry.click().catch(() => undefined);
    else await entry.hover().then(() => page.keyboard.press('Enter'));
    await items
      .first()
      .waitFor({ state: 'hidden', timeout: 2000 })
      .catch(() => undefined);
  }
  reply({ labels });

  const warnLine = await waitForLog(/\[trust-ui\] warning (\S+)/);
  const id = warnLine.slice(warnLine.indexOf('warning ') + 'warning '.length).trim();
  const toast = page.locator('.notification-toast', { hasText: `refused peer "${id}"` });
  await toast.first().waitFor({ timeout: 15_000 });
  const texts = (await toast.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  await toast.first().locator('.monaco-button', { hasText: 'Trust New Key' }).first().click();
  reply({ texts });
}
