// Playwright side of extension-views-dom.test.ts: reads the P2P side bar as a user sees it:
// the Network view's welcome content when nothing runs, then its tree (metaserver, peers,
// neighbours) and the Network Files view's rows with their inline Download action.
/**
 * @param {{
 *   page: import('playwright-core').Page,
 *   waitForLog: (re: RegExp) => Promise<string>,
 *   reply: (v: unknown) => void,
 * }} ctx
 */
export default async function ({ page, waitForLog, reply }) {
  const sidebar = page.locator('#workbench\\.parts\\.sidebar');
  const pane = (title) => sidebar.locator('.pane', { has: page.locator('.pane-header h3.title', { hasText: title }) });
  const network = pane(/^network$/i);
  const files = pane(/^network files$/i);

  await waitForLog(/\[network-view\] empty/);
  const buttons = network.locator('.welcome-view-content .monaco-button');
  await buttons.first().waitFor({ timeout: 15_000 });
  reply({ phase: 'empty', welcome: (await buttons.allInnerTexts()).map((t) => t.trim()) });

  const line = await waitForLog(/\[network-view\] running (\S+)/);
  const fileName = line.slice(line.indexOf('running ') + 'running '.length).trim();
  const fileRow = files.locator('.monaco-list-row', { hasText: fileName });
  await fileRow.first().waitFor({ timeout: 15_000 });
  await network
    .locator('.monaco-list-row', { hasText: /neighbours/i })
    .first()
    .waitFor({ timeout: 15_000 });
  await fileRow.first().hover();
  reply({
    phase: 'running',
    networkRows: (await network.locator('.monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()),
    fileRows: (await files.locator('.monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()),
    downloadActions: await fileRow.first().locator('.action-label[aria-label*="Download"]').count(),
  });
}
