// Playwright side of extension-join-lan.test.ts: walks "P2P: Join Network" the way a user does.
// Enter on the id; on the metaserver step it waits until both networks announced on loopback are
// listed, reads the pick (title and rows), clicks "Loopback lab"; Enter on the folder and the mode.
/**
 * @param {{
 *   page: import('playwright-core').Page,
 *   waitForLog: (re: RegExp) => Promise<string>,
 *   reply: (v: unknown) => void,
 * }} ctx
 */
export default async function ({ page, waitForLog, reply }) {
  await waitForLog(/\[join-picker\] open/);
  const title = (step) => page.locator('.quick-input-widget .quick-input-title', { hasText: `(${step}/4)` });
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');

  await title(1).waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await title(2).waitFor({ timeout: 15_000 });
  for (const name of ['Loopback lab', 'Window lab']) {
    await rows.filter({ hasText: name }).first().waitFor({ timeout: 15_000 });
  }
  const labels = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()).filter(Boolean);
  const heading = (await title(2).innerText()).trim();
  await rows.filter({ hasText: 'Loopback lab' }).first().click();
  await title(3).waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await title(4).waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  reply({ heading, labels });
}
