#!/usr/bin/env node
// `npm run test:vscode`: runs test/integration/**/*.test.ts inside a real VS Code 1.100.3
// (code-server, offline) driven by Debian's Chromium through playwright-core.
//
//   P2P_TEST_GREP=regex        run only the mocha tests whose full title matches
//   P2P_TEST_TIMEOUT_MS=ms     whole-run bound (default 300000); no result by then = failure
//   P2P_TEST_DRIVERS=a,b|none  which Playwright drivers to run (default: all, see below)
//   P2P_TEST_KEEP=1            keep the temp folder (code-server log, user data) for a post-mortem
//   --no-build                 skip `node esbuild.mjs` (npm test has just built)
//
// Flow: build, install code-server if needed, start it on a free 127.0.0.1 port with fresh
// config/user-data/extensions dirs and its own HOME/TMPDIR/XDG_* (nothing lands in $HOME),
// open the workbench with a `payload` that sets extensionDevelopmentPath (this repo) and
// extensionTestsPath (dist/test/integration/index); the extension host's console comes back
// through codeAutomationLog and is printed live; codeAutomationExit ends the run. Whatever
// happens, code-server's process group and Chromium are killed at the end.
//
// Playwright drivers (for tests that must look at the workbench, e.g. the topology webview):
// every test/integration/driver/<name>.mjs is imported and its default export is called, right
// after the workbench opens and while the extension tests run, with
//   { page, baseUrl, channelDir, waitForLog(regex, timeoutMs?), reply(value), log(...args), signal }
// `page` is the Playwright Page of the workbench; webviews are iframes: page.frames().
// The handshake with an extension test (see test/integration/support/driver.ts and the pair
// views.test.ts + driver/p2p-view.mjs): the test does something, then prints a line
// (console.log('[p2p-view] shown')); the driver `await waitForLog(/\[p2p-view\] shown/)`, looks at
// the page and `reply({...})`, which writes <channel>/<name>.json; the test waits for that file
// (driverReply(name)) and asserts on it. The test sees which drivers run in
// process.env.P2P_TEST_DRIVERS_RUNNING and skips itself where none runs (desktop VS Code).
// A driver that throws counts as one failed test, one that resolves as one passed test.
// Once the extension tests have ended, waitForLog rejects and drivers get 15 s to finish.
// With P2P_TEST_GREP set, drivers run only if P2P_TEST_DRIVERS names them.
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { CHROMIUM_ARGS } from './chromium-args.mjs';
import { ensureCodeServer } from './install-code-server.mjs';
import { ensureSystemPackages } from './system-packages.mjs';
import {
  freePort,
  isolatedDirs,
  isolatedEnv,
  killProcessesMentioning,
  startCodeServer,
} from './code-server-process.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testsIndex = path.join(repoRoot, 'dist', 'test', 'integration', 'index');
const driverDir = path.join(repoRoot, 'test', 'integration', 'driver');
const artifacts = path.join(repoRoot, 'test-artifacts', 'vscode');
const totalTimeoutMs = Number(process.env.P2P_TEST_TIMEOUT_MS) || 300_000;
const SUMMARY = /^vscode: (\d+) passed, (\d+) failed$/;
// The workbench's own chatter arrives through the same channel; it goes to the log file only.
const NOISE_PREFIXES = [
  'Resolving connection token',
  'Resolved connection token',
  'Creating a socket',
  '[Service Worker]',
  'Ignoring fetching additional builtin',
  'ChatSessionStore',
  'Updating additional builtin',
  'Creation of workbench contribution',
];

const ENDED = Symbol('extension tests ended');
const out = (line) => process.stdout.write(`${line}\n`);
const note = (line) => process.stderr.write(`[test:vscode] ${line}\n`);

let server; // from startCodeServer
let browser;
let tempRoot;
let cleaning;

async function cleanup() {
  cleaning ??= (async () => {
    await Promise.race([browser?.close().catch(() => {}), sleep(10_000)]);
    await server?.stop();
    if (!tempRoot) return;
    // Chromium's profile and code-server's dirs live under tempRoot: whatever still names it is ours.
    if (killProcessesMentioning(tempRoot) > 0) await sleep(300);
    if (process.env.P2P_TEST_KEEP) return note(`kept ${tempRoot}`);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.rmSync(tempRoot, { recursive: true, force: true, maxRetries: 3 });
        return;
      } catch (err) {
        if (attempt === 2) note(`could not remove ${tempRoot}: ${err.message}`);
        await sleep(500);
      }
    }
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    note(`${sig}: stopping code-server and Chromium`);
    cleanup().finally(() => process.exit(130));
  });
}
// Last resort (uncaught error, process.exit elsewhere): never leave the code-server group behind.
process.on('exit', () => server?.killNow());

async function main() {
  if (!process.argv.includes('--no-build')) {
    const b = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`build failed (node esbuild.mjs):\n${b.stdout}${b.stderr}`);
  }
  if (!fs.existsSync(`${testsIndex}.js`)) throw new Error(`${testsIndex}.js is missing: run npm run build`);
  ensureSystemPackages('test'); // chromium too, when run alone as npm run test:vscode
  const entry = ensureCodeServer();
  const { chromium } = await import('playwright-core');
  const drivers = await loadDrivers();
  const driversRunning = drivers.map((d) => d.name).join(',');

  tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-vscode-test-'));
  const dirs = isolatedDirs(tempRoot);
  const workspace = path.join(tempRoot, 'workspace');
  const channelDir = path.join(tempRoot, 'channel');
  const extensionsDir = path.join(tempRoot, 'extensions');
  for (const d of [workspace, channelDir, extensionsDir]) fs.mkdirSync(d);
  const logFile = path.join(tempRoot, 'code-server.log');
  const env = isolatedEnv(dirs, {
    P2P_TEST_CHANNEL: channelDir,
    P2P_TEST_DRIVERS_RUNNING: driversRunning,
    ...(process.env.P2P_TEST_GREP ? { P2P_TEST_GREP: process.env.P2P_TEST_GREP } : {}),
  });

  const started = Date.now();
  let port;
  // A free port can be taken by another run between the probe and code-server's listen: retry.
  for (let attempt = 1; !server; attempt++) {
    port = await freePort();
    try {
      server = await startCodeServer({ entry, port, dirs, extensionsDir, env, logFile });
    } catch (err) {
      if (attempt === 3) throw err;
      note(`code-server did not start on port ${port}; retrying on another port`);
    }
  }
  process.env.TMPDIR = dirs.tmp; // Playwright puts Chromium's temporary profile under os.tmpdir()
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, env });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const pageLog = fs.createWriteStream(path.join(tempRoot, 'page-console.log'));
  page.on('console', (m) => pageLog.write(`[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => pageLog.write(`[pageerror] ${e.stack ?? e}\n`));

  // The extension host's console, line by line; drivers can wait for a line.
  const lines = [];
  const waiters = new Set();
  let summary;
  const hostLog = fs.createWriteStream(path.join(tempRoot, 'host-console.log'));
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = format(...(Array.isArray(args) ? args : [args]));
    for (const line of text.split('\n')) {
      hostLog.write(`[${type}] ${line}\n`);
      const m = SUMMARY.exec(line.trim());
      if (m) summary = { passed: Number(m[1]), failed: Number(m[2]) };
      else if (!NOISE_PREFIXES.some((prefix) => line.startsWith(prefix))) out(line);
      lines.push(line);
      for (const w of waiters) w(line);
    }
  });
  let exitCode;
  const exited = new Promise((resolve) => {
    page.exposeFunction('codeAutomationExit', (code) => {
      exitCode = code;
      resolve(code);
    });
  });
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(repoRoot)],
    ['extensionTestsPath', remote(testsIndex)],
    ['skipWelcome', 'true'],
  ];
  const payloadParam = encodeURIComponent(JSON.stringify(payload));
  const url = `${server.url}?folder=${encodeURIComponent(workspace)}&payload=${payloadParam}`;
  const deadline = started + totalTimeoutMs;
  const abort = new AbortController();
  await page.goto(url, { timeout: 60_000 });

  let hostEnded = false;
  const waitForLog = (re, timeoutMs = deadline - Date.now()) =>
    new Promise((resolve, reject) => {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return resolve(seen);
      if (hostEnded) return reject(new Error(`the extension tests ended without a log line matching ${re}`));
      const t = setTimeout(
        () => {
          waiters.delete(w);
          reject(new Error(`no extension-host log line matched ${re} in time`));
        },
        Math.max(0, timeoutMs),
      );
      const w = (line) => {
        if (line === ENDED) {
          clearTimeout(t);
          waiters.delete(w);
          return reject(new Error(`the extension tests ended without a log line matching ${re}`));
        }
        if (!re.test(line)) return;
        clearTimeout(t);
        waiters.delete(w);
        resolve(line);
      };
      waiters.add(w);
    });
  const driverRuns = drivers.map(async ({ name, fn }) => {
    try {
      const reply = (value) => fs.writeFileSync(path.join(channelDir, `${name}.json`), JSON.stringify(value ?? null));
      const log = (...a) => out(`  [driver ${name}] ${format(...a)}`);
      await fn({ page, baseUrl: server.url, channelDir, waitForLog, reply, log, signal: abort.signal });
      return { name, ok: true };
    } catch (err) {
      return { name, ok: false, err };
    }
  });

  const timedOut = Symbol('timeout');
  const bound = (p) =>
    Promise.race([p, new Promise((r) => setTimeout(() => r(timedOut), Math.max(0, deadline - Date.now())))]);
  const exitResult = await bound(exited);
  hostEnded = true;
  for (const w of [...waiters]) w(ENDED);
  const grace = new Promise((r) => setTimeout(() => r(timedOut), 15_000));
  const driverResults = await Promise.race([bound(Promise.all(driverRuns)), grace]);
  abort.abort();

  let passed = summary?.passed ?? 0;
  let failed = summary?.failed ?? 0;
  const problems = [];
  if (exitResult === timedOut) problems.push(`the extension tests did not finish within ${totalTimeoutMs / 1000} s`);
  else if (exitCode !== 0 && !summary)
    problems.push(
      `the extension host reported exit code ${exitCode} without a test summary ` +
        '(did run() throw, or the extension fail to load?)',
    );
  else if (exitCode !== 0 && failed === 0) problems.push(`the extension host reported exit code ${exitCode}`);
  if (driverResults === timedOut) problems.push('the Playwright drivers did not finish in time');
  else {
    for (const r of driverResults) {
      if (r.ok) {
        passed++;
        out(`  ✔ driver ${r.name}`);
      } else {
        failed++;
        out(`  ✘ driver ${r.name}: ${r.err?.stack ?? r.err}`);
      }
    }
  }
  if (problems.length > 0 && failed === 0) failed = 1; // the run itself failed: never report "0 failed"
  if (problems.length > 0 || failed > 0) await saveArtifacts(page, logFile);
  for (const p of problems) note(`FAILED: ${p}`);
  return {
    passed,
    failed,
    ok: problems.length === 0 && failed === 0 && passed > 0,
    haveSummary: !!summary,
    seconds: (Date.now() - started) / 1000,
  };
}

async function loadDrivers() {
  const wanted = process.env.P2P_TEST_DRIVERS;
  if (wanted === 'none' || !fs.existsSync(driverDir)) return [];
  if (process.env.P2P_TEST_GREP && !wanted) return []; // a filtered run would starve them
  const names = fs
    .readdirSync(driverDir)
    .filter((f) => f.endsWith('.mjs'))
    .sort();
  const pick = wanted ? new Set(wanted.split(',').map((s) => s.trim().replace(/\.mjs$/, ''))) : null;
  const drivers = [];
  for (const f of names) {
    const name = f.replace(/\.mjs$/, '');
    if (pick && !pick.has(name)) continue;
    const mod = await import(pathToFileURL(path.join(driverDir, f)).href);
    if (typeof mod.default !== 'function') throw new Error(`driver ${f} must export a default async function`);
    drivers.push({ name, fn: mod.default });
  }
  return drivers;
}

async function saveArtifacts(page, logFile) {
  try {
    fs.mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'failure.png'), timeout: 5000 }).catch(() => {});
    for (const f of [
      logFile,
      ...['page-console.log', 'host-console.log'].map((n) => path.join(path.dirname(logFile), n)),
    ]) {
      if (fs.existsSync(f)) fs.copyFileSync(f, path.join(artifacts, path.basename(f)));
    }
    note(`screenshot and logs in ${path.relative(repoRoot, artifacts)}/`);
  } catch {
    /* best effort */
  }
}

let result;
try {
  result = await main();
} catch (err) {
  note(`FAILED: ${err?.message ?? err}`);
} finally {
  await cleanup();
}
if (result) {
  note(`done in ${result.seconds.toFixed(1)} s`);
  if (result.haveSummary || result.passed + result.failed > 0)
    out(`vscode: ${result.passed} passed, ${result.failed} failed`);
}
process.exit(result?.ok ? 0 : 1);
