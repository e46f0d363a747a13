// A real Chromium for the page tests: Debian's /usr/bin/chromium driven by playwright-core
// (which downloads nothing), with a throwaway profile (and HOME) so runs never share state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(options: { colorScheme?: 'light' | 'dark' } = {}): Promise<Chromium> {
  const profile = mkdtempSync(path.join(tmpdir(), 'p2p-web-chromium-'));
  const { CHROMIUM_ARGS, chromiumEnv } = await import('../../../scripts/chromium-args.mjs');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 720 },
    colorScheme: options.colorScheme ?? 'light',
    // Crash reports, dconf and caches go to the throwaway folder, never to $HOME.
    env: chromiumEnv(profile),
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
