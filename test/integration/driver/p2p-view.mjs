// Playwright side of views.test.ts: reads the side bar the extension test has just opened.
/**
 * @param {{
 *   page: import('playwright-core').Page,
 *   waitForLog: (re: RegExp) => Promise<string>,
 *   reply: (v: unknown) => void,
 * }} ctx
 */
export default async function ({ page, waitForLog, reply }) {
  await waitForLog(/\[p2p-view\] shown/);
  const sidebar = page.locator('#workbench\\.parts\\.sidebar');
  const headers = sidebar.locator('.pane-header h3.title');
  await headers.nth(2).waitFor({ timeout: 15_000 });
  const container = (await sidebar.locator('.composite.title h2').first().innerText()).trim();
  const views = (await headers.allInnerTexts()).map((t) => t.trim());
  reply({ container, views });
}
