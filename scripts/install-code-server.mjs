#!/usr/bin/env node
// Installs code-server (VS Code 1.100.3 server + web workbench) into .cache/code-server/,
// a folder this project owns, so `npm test` and `npm start` run a real VS Code offline.
// See shared docs "testing-in-vscode.md" for why each environment variable below is needed.
//
//   node scripts/install-code-server.mjs     installs if missing, prints the entry path
//   import { ensureCodeServer } from './install-code-server.mjs'
//
// Idempotent: a marker file written after a successful install makes later calls instant.
// Installs into a staging folder and renames it into place, so an interrupted install
// never leaves a half-installed code-server behind.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3'; // serves VS Code 1.100.3, needs Node 20
// code-server 4.100.3 bundles @vscode/ripgrep 1.15.11, whose postinstall downloads
// ripgrep v13.0.0-10 from GitHub unless this tarball is already in its cache folder.
const RIPGREP_PKG_VERSION = '1.15.11';
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheRoot = path.join(repoRoot, '.cache', 'code-server');
const installDir = path.join(cacheRoot, CODE_SERVER_VERSION);
const marker = path.join(installDir, '.installed');
export const codeServerEntry = path.join(installDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

const SYSTEM_DEPS = [
  ['/usr/bin/rg', 'ripgrep'],
  ['/usr/bin/chromium', 'chromium'],
];

/** Throws with the apt-get line to run when a system binary the harness needs is missing. */
export function checkSystemDeps() {
  const missing = SYSTEM_DEPS.filter(([bin]) => !fs.existsSync(bin));
  if (missing.length > 0) {
    const list = missing.map(([bin, pkg]) => `${bin} (Debian package "${pkg}")`).join(', ');
    throw new Error(
      `missing ${list}.\nInstall with: apt-get install -y ${missing.map(([, pkg]) => pkg).join(' ')}` +
        `\n(or run .ci/run, which installs every system package the project needs)`,
    );
  }
}

/** Makes sure code-server is installed; returns the path of its entry script (run it with node). */
export function ensureCodeServer({ quiet = false } = {}) {
  checkSystemDeps();
  if (fs.existsSync(marker) && fs.existsSync(codeServerEntry)) return codeServerEntry;

  const log = (msg) => quiet || process.stderr.write(`[install-code-server] ${msg}\n`);
  const started = Date.now();
  log(`installing code-server@${CODE_SERVER_VERSION} into ${path.relative(repoRoot, installDir)} (about 40 s, 300 MB)`);
  fs.mkdirSync(cacheRoot, { recursive: true });
  const staging = fs.mkdtempSync(path.join(cacheRoot, `.staging-${CODE_SERVER_VERSION}-`));
  try {
    // Its own TMPDIR, so the seeded ripgrep cache is found and nothing lands in the shared /tmp.
    const tmp = path.join(staging, '.tmp');
    const rgCache = path.join(tmp, `vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}`);
    fs.mkdirSync(rgCache, { recursive: true });
    run('tar', ['czf', path.join(rgCache, RIPGREP_ASSET), '-C', '/usr/bin', 'rg']);

    fs.writeFileSync(
      path.join(staging, 'package.json'),
      JSON.stringify(
        { name: 'p2p-code-server-cache', private: true, description: 'installed by scripts/install-code-server.mjs' },
        null,
        2,
      ),
    );
    const env = {
      ...process.env,
      TMPDIR: tmp,
      npm_config_unsafe_perm: 'true', // code-server's postinstall refuses root otherwise
      npm_config_yes: 'true', // node-pty's postinstall runs `npx node-gyp`
      npm_config_nodedir: '/usr', // node-gyp: Node headers from Debian, not a download
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    };
    // When run from an npm script, npm_config_* of the outer npm (e.g. --prefix) would leak in.
    delete env.npm_config_prefix;
    delete env.npm_config_global;
    run('npm', ['install', '--no-save', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`], {
      cwd: staging,
      env,
      quiet,
    });

    const entry = path.join(staging, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
    const rg = path.join(
      staging,
      'node_modules',
      'code-server',
      'lib',
      'vscode',
      'node_modules',
      '@vscode',
      'ripgrep',
      'bin',
      'rg',
    );
    if (!fs.existsSync(entry)) throw new Error(`code-server installed but ${entry} is missing`);
    if (!fs.existsSync(rg))
      throw new Error(
        `code-server installed but its ripgrep (${rg}) is missing: did the ripgrep cache version change?`,
      );
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.writeFileSync(
      path.join(staging, '.installed'),
      `code-server@${CODE_SERVER_VERSION} ${new Date().toISOString()}\n`,
    );

    if (fs.existsSync(marker)) {
      log('another run installed it meanwhile; keeping that one');
      return codeServerEntry;
    }
    fs.rmSync(installDir, { recursive: true, force: true }); // a previous half install without marker
    try {
      fs.renameSync(staging, installDir);
    } catch (err) {
      // Another run finished first: keep theirs.
      if (!fs.existsSync(marker)) throw err;
    }
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return codeServerEntry;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function run(cmd, args, { cwd, env, quiet = true } = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    env,
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    const out = quiet ? `\n${r.stdout ?? ''}${r.stderr ?? ''}`.slice(-4000) : '';
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})${out}`);
  }
  return r;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(`${ensureCodeServer()}\n`);
  } catch (err) {
    process.stderr.write(`[install-code-server] ${err.message}\n`);
    process.exit(1);
  }
}
