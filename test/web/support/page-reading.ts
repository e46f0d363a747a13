// Reading the drawn picture the way the acceptance checks do: through data-peer-id and
// data-link, never through the page's internals.
import type { Page } from 'playwright-core';
import { linkKey, type TopologySnapshot } from '@node-core/topology';

export async function drawnPeerIds(page: Page): Promise<string[]> {
  return (
    await page.locator('[data-peer-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-peer-id') ?? ''))
  ).sort();
}

export async function drawnLinks(page: Page): Promise<string[]> {
  return (
    await page.locator('[data-link]').evaluateAll((els) => els.map((e) => e.getAttribute('data-link') ?? ''))
  ).sort();
}

/** What the page should draw for a snapshot: every peer, every link between known peers. */
export function expectedPicture(snapshot: TopologySnapshot): { peers: string[]; links: string[] } {
  const ids = new Set(snapshot.peers.map((p) => p.id));
  const links = new Set<string>();
  for (const peer of snapshot.peers)
    for (const n of peer.neighbors) if (ids.has(n) && n !== peer.id) links.add(linkKey(peer.id, n));
  return { peers: [...ids].sort(), links: [...links].sort() };
}

/** Polls until the drawn picture equals the expected one (or throws with both after timeout). */
export async function waitForPicture(
  page: Page,
  expected: () => Promise<{ peers: string[]; links: string[] }>,
  timeoutMs = 2000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = { peers: [] as string[], links: [] as string[] };
  let want = { peers: [] as string[], links: [] as string[] };
  while (Date.now() < deadline) {
    want = await expected();
    last = { peers: await drawnPeerIds(page), links: await drawnLinks(page) };
    if (JSON.stringify(last) === JSON.stringify(want)) return;
    await page.waitForTimeout(50);
  }
  throw new Error(
    `picture differs after ${timeoutMs} ms:\n drawn    ${JSON.stringify(last)}\n expected ${JSON.stringify(want)}`,
  );
}
