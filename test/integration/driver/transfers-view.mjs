// Playwright side of extension-transfers.test.ts: reads the Transfers view's rows as drawn, and
// the status bar, once the test says which file to look for.
/**
 * @param {{
 *   page: import('playwright-core').Page,
 *   waitForLog: (re: RegExp) => Promise<string>,
 *   reply: (v: unknown) => void,
 * }} ctx
 */
export default async function ({ page, waitForLog, reply }) {
  const line = await waitForLog(/\[transfers-view\] shown (\S+)/);
  const fileName = line.slice(line.indexOf('shown ') + 'shown '.length).trim();
  const sidebar = page.locator('#workbench\\.parts\\.sidebar');
  const pane = sidebar.locator('.pane', { has: page.locator('.pane-header h3.title', { hasText: /^transfers$/i }) });
  const row = pane.locator('.monaco-list-row', { hasText: fileName });
  await row.first().waitFor({ timeout: 15_000 });
  // the README's picture of the view comes from here (docs/transfers.png)
  await page.screenshot({ path: 'test-artifacts/vscode/transfers-view.png' }).catch(() => undefined);
  reply({
    rows: (await pane.locator('.monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()),
  });
}
