// One build for everything: the extension host bundle, the p2p-node CLI and its worker threads, the topology page,
// and the in-VS-Code test suite. `--watch` rebuilds on change; `--production` minifies.
import * as esbuild from 'esbuild';
import { integrationSuites } from './scripts/esbuild-integration-suites.mjs';
import { nodeCoreWorkerEntries } from './scripts/node-core-workers.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
};

/** @type {esbuild.BuildOptions[]} */
const targets = [
  {
    ...common,
    entryPoints: { extension: 'extension/src/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  {
    ...common,
    entryPoints: { 'p2p-node': 'node-core/src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    // ws loads these native speed-ups only if present; we ship without them.
    external: ['bufferutil', 'utf-8-validate'],
  },
  {
    // The CLI's worker threads, beside dist/p2p-node.js, which starts them from there.
    ...common,
    entryPoints: nodeCoreWorkerEntries(new URL('.', import.meta.url).pathname),
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    ...common,
    entryPoints: { webview: 'webview/src/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
  {
    // The integration suite runs inside the VS Code extension host (code-server or desktop).
    ...common,
    entryPoints: { 'test/integration/index': 'test/integration/index.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'mocha'],
    // Bundles every test/integration/**/*.test.ts without a hand-kept list.
    plugins: [integrationSuites(new URL('./test/integration', import.meta.url).pathname)],
  },
];

if (watch) {
  const contexts = await Promise.all(targets.map((t) => esbuild.context(t)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
}
