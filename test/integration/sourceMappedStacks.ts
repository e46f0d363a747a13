// Failing integration tests should point at .ts lines (test/integration/*.test.ts, and
// extension/src or node-core/src for frames inside the extension), not at the bundles in dist/.
// Node's own source-map support cannot help: the extension host installs its own
// Error.prepareStackTrace. So the runner rewrites the stack of each failure through the
// linked source maps esbuild writes beside each bundle (dist/**/*.js.map).

import * as fs from 'node:fs';
import { SourceMap } from 'node:module';
import * as path from 'node:path';

export function stackMapper(repoRoot: string): (stack: string) => string {
  const dist = path.join(repoRoot, 'dist') + path.sep;
  const maps = new Map<string, SourceMap | null>();
  const mapFor = (file: string): SourceMap | null => {
    if (!maps.has(file)) {
      try {
        maps.set(file, new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8'))));
      } catch {
        maps.set(file, null); // no map (production build): leave those frames as they are
      }
    }
    return maps.get(file) ?? null;
  };
  return (stack) =>
    stack.replace(/([^\s()]+\.js):(\d+):(\d+)/g, (whole, file: string, line: string, column: string) => {
      const abs = path.resolve(repoRoot, file);
      if (!abs.startsWith(dist)) return whole;
      const map = mapFor(abs);
      const entry = map?.findEntry(Number(line) - 1, Number(column) - 1);
      if (!entry || !('originalSource' in entry) || !entry.originalSource) return whole;
      const source = path.relative(repoRoot, path.resolve(path.dirname(abs), entry.originalSource));
      return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    });
}
