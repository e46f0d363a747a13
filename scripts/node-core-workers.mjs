// node-core's worker threads: every `*.worker.ts` under node-core/src is an esbuild entry of its
// own, written beside the CLI bundle that starts it (node-core/src/transfer/worker-sink.ts looks
// for it there). Used by esbuild.mjs and by the tests' CLI bundle (test/unit/cli-process.ts).
import fs from 'node:fs';
import path from 'node:path';

/** @param {string} root the repository's folder @returns {Record<string, string>} entry name → source file */
export function nodeCoreWorkerEntries(root) {
  const src = path.join(root, 'node-core', 'src');
  /** @type {Record<string, string>} */
  const entries = {};
  for (const file of fs.readdirSync(src, { recursive: true, encoding: 'utf8' }).sort()) {
    if (file.endsWith('.worker.ts')) entries[path.basename(file, '.ts')] = path.join(src, file);
  }
  return entries;
}
