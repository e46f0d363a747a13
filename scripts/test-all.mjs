#!/usr/bin/env node
// `npm test` (after `npm run build`): every suite in turn, even after one fails, so one run
// shows every failure; exits non-zero if any suite failed. Output is streamed live; at the end
// each suite's failures repeated, one line per suite and the closing line `total: N passed, N failed`.
//
//   node scripts/test-all.mjs [unit] [web] [vscode] [start]     a subset, in that order
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mochaBin = path.join(repoRoot, 'node_modules', 'mocha', 'bin', 'mocha.js');
/** How long a mocha suite may take to exit once it printed its results. */
const EXIT_GRACE_MS = 30_000;
/** Lines of each suite's failures repeated at the end, where a CI log's tail shows them. */
const FAILURE_LINES = 60;

const SUITES = {
  unit: { args: [mochaBin], parse: parseMocha },
  web: { args: [mochaBin, '--config', 'test/web/.mocharc.json'], parse: parseMocha },
  vscode: { args: [path.join(repoRoot, 'scripts', 'run-vscode-tests.mjs'), '--no-build'], parse: parseVscode },
  // `npm start` works: package, serve, the P2P views show up in the browser (one test).
  start: { args: [path.join(repoRoot, 'scripts', 'check-start.mjs')], parse: parseCheck },
};

function parseMocha(text) {
  const passing = [...text.matchAll(/^ +(\d+) passing/gm)].pop();
  const failing = [...text.matchAll(/^ +(\d+) failing/gm)].pop();
  return passing || failing ? { passed: Number(passing?.[1] ?? 0), failed: Number(failing?.[1] ?? 0) } : null;
}
function parseCheck(text) {
  return /^\[check-start\] ok$/m.test(text) ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 };
}
function parseVscode(text) {
  const m = [...text.matchAll(/^vscode: (\d+) passed, (\d+) failed$/gm)].pop();
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : null;
}

/** Mocha's failure section (titles, messages, first stack lines), cut to a screenful. */
function failureReport(text) {
  const start = [...text.matchAll(/^ +\d+ failing$/gm)].pop();
  if (!start) return '';
  const lines = text.slice(start.index).split('\n');
  return lines.slice(0, FAILURE_LINES).join('\n') + (lines.length > FAILURE_LINES ? '\n  [...]' : '');
}

function runSuite(name) {
  const { args, parse } = SUITES[name];
  process.stdout.write(`\n== test:${name}\n`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    let lingering;
    child.stdout.on('data', (d) => {
      text += d;
      process.stdout.write(d);
      // mocha runs with --no-exit, so a server, socket or timer a test left open keeps it alive
      // after its summary: fail the suite with that said, rather than hang the whole run
      if (parse === parseMocha && !lingering && /^ +\d+ passing/m.test(text))
        lingering = setTimeout(() => {
          process.stderr.write(
            `\n[test-all] test:${name} did not exit ${EXIT_GRACE_MS / 1000} s after its results: ` +
              'something a test started is still open (a server, socket, child or timer); stopping it\n',
          );
          child.kill('SIGINT'); // mocha's launcher passes it on to the process running the tests
        }, EXIT_GRACE_MS);
    });
    child.stderr.on('data', (d) => process.stderr.write(d));
    // Forward Ctrl-C/TERM so each runner cleans up (code-server, Chromium) itself.
    const forward = (sig) => child.kill(sig);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('close', (code, signal) => {
      clearTimeout(lingering);
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolve({
        name,
        code: code ?? (signal ? 1 : 0),
        counts: parse(text),
        failures: failureReport(text),
        seconds: (Date.now() - started) / 1000,
      });
    });
  });
}

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? Object.keys(SUITES).filter((n) => wanted.includes(n)) : Object.keys(SUITES);
const results = [];
for (const name of names) results.push(await runSuite(name));

let passed = 0;
let failed = 0;
for (const r of results)
  if (r.failures) process.stdout.write(`\n== failures of test:${r.name} (repeated from above)\n${r.failures}\n`);
process.stdout.write('\n');
for (const r of results) {
  const c = r.counts ?? { passed: 0, failed: 0 };
  // A suite that exits non-zero without a failing test (crash, timeout, no result) is one failure.
  const extra = r.code !== 0 && c.failed === 0 ? 1 : 0;
  passed += c.passed;
  failed += c.failed + extra;
  const how = r.code === 0 ? 'ok' : `FAILED (exit ${r.code}${r.counts ? '' : ', no result'})`;
  process.stdout.write(
    `test:${r.name}: ${c.passed} passed, ${c.failed + extra} failed, ${r.seconds.toFixed(0)} s, ${how}\n`,
  );
}
process.stdout.write(`total: ${passed} passed, ${failed} failed\n`);
process.exit(results.every((r) => r.code === 0) && passed > 0 ? 0 : 1);
