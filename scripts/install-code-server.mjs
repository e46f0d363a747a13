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
import { ensureSystemPackages } from './system-packages.mjs';

export const CODE_SERVER_VERSION = '4.100.3'; // serves VS Code 1.100.3, needs Node 20
// code-server 4.100.3 bundles @vscode/ripgrep 1.15.11, whose postinstall downloads
// ripgrep v13.0.0-10 from GitHub unless this tarball is already in its cache folder.
const RIPGREP_PKG_VERSION = '1.15.11';
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';
// The two install scripts of the install, both needed: code-server's postinstall installs the VS Code
// server's own modules (lib/vscode, native ones built here), argon2's builds the module code-server
// loads. By name: npm cannot pin a version without a lockfile.
const ALLOWED_SCRIPTS = { 'code-server': true, argon2: true };

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheRoot = path.join(repoRoot, '.cache', 'code-server');
const installDir = path.join(cacheRoot, CODE_SERVER_VERSION);
const marker = path.join(installDir, '.installed');
export const codeServerEntry = path.join(installDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

/** Makes sure code-server is installed; returns the path of its entry script (run it with node). */
export function ensureCodeServer({ quiet = false } = {}) {
  ensureSystemPackages('start');
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
        {
          name: 'p2p-code-server-cache',
          private: true,
          description: 'installed by scripts/install-code-server.mjs',
          allowScripts: ALLOWED_SCRIPTS,
        },
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
      npm_config_build_from_source: 'argon2', // node-pre-gyp: build it here, no download from GitHub
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    };
    // When run from an npm script, npm_config_* of the outer npm (e.g. --prefix) would leak in.
    delete env.npm_config_prefix;
    delete env.npm_config_global;
    // --loglevel=error: npm warns that unsafe_perm and build_from_source are not its own settings;
    // they are read by the install scripts above, which the checks below prove to have run.
    const npmArgs = ['install', '--no-save', '--no-package-lock', '--loglevel=error'];
    run('npm', [...npmArgs, `code-server@${CODE_SERVER_VERSION}`], {
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
    const argon2 = path.join(staging, 'node_modules', 'argon2', 'lib', 'binding', 'napi-v3', 'argon2.node');
    if (!fs.existsSync(entry)) throw new Error(`code-server installed but ${entry} is missing`);
    if (!fs.existsSync(argon2)) throw new Error(`code-server installed but argon2 was not built (${argon2})`);
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
