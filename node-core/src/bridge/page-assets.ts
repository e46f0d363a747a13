// Where the page's bundle lives. The metaserver runs from dist/p2p-node.js and the page is
// dist/webview.js beside it; from sources (tests via tsx) it is the repository's dist/.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

/** The only files served from pageDir: nothing else under dist/ is reachable. */
export const PAGE_ASSETS: Readonly<Record<string, string>> = {
  '/webview.js': 'text/javascript; charset=utf-8',
  '/webview.css': 'text/css; charset=utf-8',
};

export function defaultPageDir(): string {
  const candidates = [
    __dirname, // bundled: dist/p2p-node.js
    path.dirname(process.argv[1] ?? ''),
    path.resolve(__dirname, '../../../dist'), // sources: node-core/src/bridge/
  ];
  return candidates.find((dir) => existsSync(path.join(dir, 'webview.js'))) ?? candidates[0];
}

export async function readPageAsset(pageDir: string, route: string): Promise<Buffer | undefined> {
  if (!(route in PAGE_ASSETS)) return undefined;
  try {
    return await readFile(path.join(pageDir, route.slice(1)));
  } catch {
    return undefined;
  }
}
