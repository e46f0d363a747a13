// What the Playwright drivers (test/integration/driver/) do alike on the workbench page.

/**
 * Drags the side bar's right edge until it is about `width` px from the window's left (a drag
 * during a layout may not take, so it checks and tries again). Returns the width it had before.
 * @param {import('playwright-core').Page} page
 * @param {number} width
 */
export async function resizeSidebar(page, width) {
  const sidebar = page.locator('#workbench\\.parts\\.sidebar');
  const before = (await sidebar.boundingBox()).width;
  for (let attempt = 0; attempt < 5; attempt++) {
    const box = await sidebar.boundingBox();
    if (Math.abs(box.x + box.width - width) <= 30) return before;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width - 1, y);
    await page.mouse.down();
    await page.mouse.move(width, y, { steps: 5 });
    await page.mouse.up();
  }
  throw new Error(`could not resize the side bar to ${width} px`);
}
