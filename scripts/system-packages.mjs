#!/usr/bin/env node
// The system packages `npm start` and `npm test` need, in one list: each Debian package, the files
// that prove it is installed, and why we need it. Missing ones are installed with apt-get when we
// are root on Debian/Ubuntu (said once, with the reasons); otherwise we stop at once with the exact
// command to run. `npm start`, `npm test` and .ci/run all come through here.
//
//   node scripts/system-packages.mjs start|test [--no-install] [--packages FILE.json] [--apt-get PATH]
//   import { ensureSystemPackages } from './system-packages.mjs'
//
// --no-install never runs apt-get (only says what to run); --packages replaces the list below with
// a JSON array of the same shape and --apt-get names the apt-get to run: both let a test drive the
// missing-package paths without touching the machine's packages.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** `start`: code-server installs and runs (npm start); `test`: every suite of npm test. */
export const PURPOSES = ['start', 'test'];

export const SYSTEM_PACKAGES = [
  {
    name: 'build-essential',
    files: ['/usr/bin/make', '/usr/bin/g++'],
    why: "compiles code-server's native modules (node-pty, kerberos) when code-server is installed",
    for: ['start', 'test'],
  },
  {
    name: 'python3',
    files: ['/usr/bin/python3'],
    why: "node-gyp, which builds code-server's native modules, runs on Python",
    for: ['start', 'test'],
  },
  {
    name: 'libkrb5-dev',
    files: ['/usr/bin/krb5-config', '/usr/include/krb5.h'],
    why: "headers for code-server's kerberos module",
    for: ['start', 'test'],
  },
  {
    name: 'ripgrep',
    files: ['/usr/bin/rg'],
    why: "code-server's search; it replaces the rg code-server would download from GitHub",
    for: ['start', 'test'],
  },
  {
    name: 'chromium',
    files: ['/usr/bin/chromium'],
    why: 'the browser of the tests: the topology page and the VS Code workbench, headless',
    for: ['test'],
  },
  {
    name: 'iproute2',
    files: ['/usr/bin/ip'],
    why: 'the test with several hosts puts peers in network namespaces (ip netns)',
    for: ['test'],
  },
  {
    name: 'nftables',
    files: ['/usr/sbin/nft'],
    why: "the NAT test's router namespaces masquerade their homes (nft)",
    for: ['test'],
  },
];

const DEFAULT_APT_GET = '/usr/bin/apt-get';

/** The packages `purpose` needs whose files are not all present. */
export function missingPackages(purpose, packages = SYSTEM_PACKAGES) {
  return packages.filter((p) => p.for.includes(purpose) && !p.files.every((f) => fs.existsSync(f)));
}

/** The command a user runs to install `names`: as root, or through sudo. */
export function installCommand(packageNames, { root = isRoot() } = {}) {
  const sudo = root ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packageNames.join(' ')}`;
}

/**
 * Makes sure every package `purpose` needs is present: returns at once when they are, installs the
 * missing ones with apt-get when allowed (root, apt-get present, `install`), and otherwise throws
 * an error whose message names each missing package, why it is needed, and the command to run.
 */
export function ensureSystemPackages(
  purpose,
  { install = true, packages = SYSTEM_PACKAGES, aptGet = DEFAULT_APT_GET, log = defaultLog } = {},
) {
  if (!PURPOSES.includes(purpose)) throw new Error(`unknown purpose "${purpose}" (one of ${PURPOSES.join(', ')})`);
  const missing = missingPackages(purpose, packages);
  if (missing.length === 0) return;
  const hasAptGet = fs.existsSync(aptGet);
  if (!install || !isRoot() || !hasAptGet) throw new Error(missingMessage(missing, hasAptGet));

  log(`installing system packages with apt-get (one or two minutes):\n${reasons(missing)}`);
  aptGetRun(aptGet, ['update', '-qq']);
  aptGetRun(aptGet, ['install', '-y', '-qq', ...missing.map((p) => p.name)]);
  const still = missingPackages(purpose, packages);
  if (still.length > 0) {
    const files = still.flatMap((p) => p.files.filter((f) => !fs.existsSync(f)));
    throw new Error(`apt-get installed ${names(still)} but these files are still missing: ${files.join(', ')}`);
  }
}

function missingMessage(missing, hasAptGet) {
  const list = `missing system packages:\n${reasons(missing)}`;
  if (!hasAptGet) {
    return `${list}\nThis is not Debian/Ubuntu (no apt-get): install the equivalents with your package manager.`;
  }
  return `${list}\nRun this, then try again:\n  ${installCommand(missing.map((p) => p.name))}`;
}

const names = (packages) => packages.map((p) => p.name).join(' ');
const reasons = (packages) => packages.map((p) => `  ${p.name}: ${p.why}`).join('\n');
const isRoot = () => process.getuid?.() === 0;
const defaultLog = (message) => process.stderr.write(`[system-packages] ${message}\n`);

function aptGetRun(aptGet, args) {
  const r = spawnSync(aptGet, args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.slice(-3000);
    throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status ?? r.signal ?? r.error?.message})\n${out}`);
  }
}

function readPackageList(file) {
  const list = JSON.parse(fs.readFileSync(file, 'utf8'));
  const valid = (p) =>
    typeof p?.name === 'string' &&
    typeof p.why === 'string' &&
    Array.isArray(p.files) &&
    p.files.every((f) => typeof f === 'string') &&
    Array.isArray(p.for);
  if (!Array.isArray(list) || !list.every(valid)) throw new Error(`${file}: not a list of {name, files, why, for}`);
  return list;
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'no-install': { type: 'boolean', default: false },
      packages: { type: 'string' },
      'apt-get': { type: 'string', default: DEFAULT_APT_GET },
    },
  });
  const purpose = positionals[0] ?? 'test';
  ensureSystemPackages(purpose, {
    install: !values['no-install'],
    packages: values.packages ? readPackageList(path.resolve(values.packages)) : SYSTEM_PACKAGES,
    aptGet: values['apt-get'],
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err) {
    defaultLog(err.message);
    process.exit(1);
  }
}
