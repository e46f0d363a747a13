// esbuild plugin for the in-VS-Code test bundle: the virtual module `integration-suites`
// lists every test/integration/**/*.test.ts, each behind a function that loads it. The
// runner (test/integration/index.ts) calls those functions after mocha has installed its
// globals (describe/it), so adding a test is just adding a `*.test.ts` file: no list to edit.
// In --watch mode new files are picked up because the folder is watched.
import fs from 'node:fs';
import path from 'node:path';

const FILTER = /^integration-suites$/;

/** @param {string} dir absolute folder to scan */
function findTests(dir) {
  /** @type {string[]} */
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(p));
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

/** @param {string} testDir absolute path of test/integration @returns {import('esbuild').Plugin} */
export function integrationSuites(testDir) {
  return {
    name: 'integration-suites',
    setup(build) {
      build.onResolve({ filter: FILTER }, () => ({ path: 'integration-suites', namespace: 'integration-suites' }));
      build.onLoad({ filter: /.*/, namespace: 'integration-suites' }, () => {
        const files = findTests(testDir);
        const dirs = [testDir, ...new Set(files.map((f) => path.dirname(f)))];
        // require() (not import) keeps each file's top level lazy: esbuild wraps it in an init function.
        const rows = files.map(
          (f) => `  { file: ${JSON.stringify(path.relative(testDir, f))}, load: () => require(${JSON.stringify(f)}) },`,
        );
        return {
          contents: `module.exports = [\n${rows.join('\n')}\n];\n`,
          loader: 'js',
          resolveDir: testDir,
          watchDirs: dirs,
          watchFiles: files,
        };
      });
    },
  };
}
