// Playwright side of extension-share-link.test.ts: when a share link is opened, VS Code shows our
// confirmation (a notification with one action); this reads it as drawn (message, buttons) and
// clicks the action the test names, as a user would.
/**
 * @param {{ page: import('playwright-core').Page, waitForLog: (re: RegExp) => Promise<string>,
 *   reply: (v: unknown) => void }} ctx
 */
export default async function ({ page, waitForLog, reply }) {
  const line = await waitForLog(/\[share-link\] confirm: (.+)/);
  const action = line.slice(line.indexOf('confirm: ') + 'confirm: '.length).trim();
  // the notification as a toast, or in the notification center, which the test opens
  const toast = page.locator('.notification-list-item', { hasText: 'P2P: download' });
  await toast
    .first()
    .waitFor({ timeout: 15_000 })
    .catch(async (err) => {
      // what the workbench showed instead, for the post-mortem
      await page.screenshot({ path: 'test-artifacts/vscode/share-link-driver.png' }).catch(() => undefined);
      throw err;
    });
  // the README's picture of an opened link comes from here (docs/share-link.png)
  await page.screenshot({ path: 'test-artifacts/vscode/share-link.png' }).catch(() => undefined);
  const text = (await toast.first().locator('.notification-list-item-message').innerText()).replace(/\s+/g, ' ').trim();
  const buttons = toast.first().locator('.notification-list-item-buttons-container .monaco-button');
  const labels = (await buttons.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
  await buttons.filter({ hasText: action }).first().click();
  reply({ text, labels });
}
