// Playwright side of extension-pickers.test.ts: reads, as drawn, the notification Search Network
// shows when no peer runs (and that no name prompt is open beside it), then closes it; and the
// peer picker's rows (label, description, detail), then dismisses it with Escape.
/**
 * @param {{
 *   page: import('playwright-core').Page,
 *   waitForLog: (re: RegExp) => Promise<string>,
 *   reply: (v: unknown) => void,
 * }} ctx
 */
export default async function ({ page, waitForLog, reply }) {
  await waitForLog(/\[pickers\] search with no peer/);
  const toast = page.locator('.notification-list-item', { hasText: 'no peer runs in this window' }).first();
  await toast.waitFor({ timeout: 15_000 });
  const text = (await toast.locator('.notification-list-item-message').innerText()).replace(/\s+/g, ' ').trim();
  const buttons = (await toast.locator('.notification-list-item-buttons-container .monaco-button').allInnerTexts())
    .map((t) => t.trim())
    .filter(Boolean);
  const nameAsked = await page.locator('.quick-input-widget').isVisible();
  await toast.hover(); // its close button shows on hover
  await toast.locator('.codicon-notifications-clear').first().click();
  reply({ text, buttons, nameAsked });

  await waitForLog(/\[pickers\] pick a peer/);
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  await rows.nth(1).waitFor({ timeout: 15_000 });
  const drawn = await rows.evaluateAll((els) =>
    els.map((el) => ({
      label: el.querySelector('.quick-input-list-label .label-name')?.textContent?.trim() ?? '',
      description: el.querySelector('.quick-input-list-label .label-description')?.textContent?.trim() ?? '',
      detail: el.querySelector('.quick-input-list-label-meta .label-name')?.textContent?.trim() ?? '',
    })),
  );
  // the README's picture of the peer picker comes from here (docs/peer-picker.png)
  await page
    .locator('.quick-input-widget')
    .screenshot({ path: 'test-artifacts/vscode/peer-picker.png' })
    .catch(() => undefined);
  await page.keyboard.press('Escape');
  reply({ rows: drawn });
}
