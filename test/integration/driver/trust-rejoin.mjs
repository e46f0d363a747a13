// Playwright side of extension-trust.test.ts's starting peer: a peer whose metaserver came back
// with another key did not start, and VS Code shows the key-change warning. This reads it as drawn
// (message, buttons) and clicks "Trust New Key and Join", as a user would.
/**
 * @param {{ page: import('playwright-core').Page, waitForLog: (re: RegExp) => Promise<string>,
 *   reply: (v: unknown) => void }} ctx
 */
export default async function ({ page, waitForLog, reply }) {
  const line = await waitForLog(/\[trust-rejoin\] warning (\S+)/);
  const id = line.slice(line.indexOf('warning ') + 'warning '.length).trim();
  // the notification as a toast, or in the notification center, which the test opens
  const warning = page.locator('.notification-list-item', { hasText: `${id} refused the metadata server at` });
  await warning
    .first()
    .waitFor({ timeout: 15_000 })
    .catch(async (err) => {
      await page.screenshot({ path: 'test-artifacts/vscode/trust-rejoin-driver.png' }).catch(() => undefined);
      throw err;
    });
  const messages = warning.locator('.notification-list-item-message');
  const texts = (await messages.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  const buttons = warning.first().locator('.notification-list-item-buttons-container .monaco-button');
  const labels = (await buttons.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
  await buttons.filter({ hasText: 'Trust New Key and Join' }).first().click();
  reply({ texts, labels });
}
