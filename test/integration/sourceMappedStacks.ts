// Failing integration tests should point at test/integration/*.test.ts lines, not at the
// bundle. Node's own source-map support cannot help: the extension host installs its own
// Error.prepareStackTrace. So the runner rewrites the stack of each failure through the
// bundle's linked source map (esbuild writes index.js.map beside index.js).

import * as fs from 'node:fs';
import { SourceMap } from 'node:module';
import * as path from 'node:path';

export function stackMapper(bundleFile: string, repoRoot: string): (stack: string) => string {
  let map: SourceMap | undefined;
  try {
    map = new SourceMap(JSON.parse(fs.readFileSync(`${bundleFile}.map`, 'utf8')));
  } catch {
    return (stack) => stack; // no map (production build): leave stacks as they are
  }
  const bundleName = path.basename(bundleFile);
  const mapDir = path.dirname(bundleFile);
  return (stack) =>
    stack.replace(/([^\s()]+):(\d+):(\d+)/g, (whole, file: string, line: string, column: string) => {
      if (path.basename(file) !== bundleName) return whole;
      const entry = map.findEntry(Number(line) - 1, Number(column) - 1);
      if (!('originalSource' in entry) || !entry.originalSource) return whole;
      const source = path.relative(repoRoot, path.resolve(mapDir, entry.originalSource));
      return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    });
}
