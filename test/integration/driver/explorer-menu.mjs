// Playwright side of extension-explorer-menu.test.ts: right-clicks a file in the Explorer and
// replies with the context menu's entries, once with no peer running and once with one, so the
// test can check that "P2P: Share File" follows the p2p.peerRunning context key.
/**
 * @param {{
 *   page: import('playwright-core').Page,
 *   waitForLog: (re: RegExp) => Promise<string>,
 *   reply: (v: unknown) => void,
 * }} ctx
 */
export default async function ({ page, waitForLog, reply }) {
  for (const phase of ['idle', 'peer']) {
    const line = await waitForLog(new RegExp(`\\[explorer-menu\\] ${phase} (\\S+)`));
    const file = line.slice(line.indexOf(`${phase} `) + phase.length + 1).trim();
    const row = page.locator('#workbench\\.parts\\.sidebar .monaco-list-row', { hasText: file });
    await row.first().waitFor({ timeout: 15_000 });
    await row.first().click({ button: 'right' });
    const items = page.locator('.context-view .monaco-menu .action-item .action-label');
    await items.first().waitFor({ timeout: 10_000 });
    const labels = (await items.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    await page.keyboard.press('Escape');
    reply({ phase, labels });
  }
}
