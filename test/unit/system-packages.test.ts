// scripts/system-packages.mjs run as `npm start` and `npm test` run it (a child process), pointed at
// package lists whose files do not exist and at a stand-in apt-get that records its calls, so the
// missing-package paths run for real without touching the machine's packages.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SCRIPT = resolve(__dirname, '../../scripts/system-packages.mjs');
const FAKE_APT_GET = resolve(__dirname, 'fixtures/fake-apt-get.sh');
const isRoot = process.getuid?.() === 0;

interface PackageSpec {
  name: string;
  files: string[];
  why: string;
  for: string[];
}

describe('system packages (scripts/system-packages.mjs)', function () {
  this.timeout(20_000);
  let dir = '';
  let aptLog = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'p2p-system-packages-'));
    aptLog = join(dir, 'apt-get.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const aptCalls = (): string[] => (existsSync(aptLog) ? readFileSync(aptLog, 'utf8').trim().split('\n') : []);

  function check(purpose: string, packages: PackageSpec[], flags: string[] = [], creates: string[] = []) {
    const list = join(dir, 'packages.json');
    writeFileSync(list, JSON.stringify(packages));
    const r = spawnSync(process.execPath, [SCRIPT, purpose, '--packages', list, '--apt-get', FAKE_APT_GET, ...flags], {
      encoding: 'utf8',
      env: { ...process.env, FAKE_APT_LOG: aptLog, FAKE_APT_CREATES: creates.join(':') },
      timeout: 15_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  const absent = (name: string, purposes = ['start', 'test']): PackageSpec => ({
    name,
    files: [join(dir, 'usr', 'bin', name)],
    why: `${name} is needed by a test`,
    for: purposes,
  });
  const present: PackageSpec = { name: 'p2p-present', files: [process.execPath], why: 'runs node', for: ['test'] };

  it('says nothing and runs no apt-get when every package is present', () => {
    const r = check('test', [present]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout + r.stderr, '');
    assert.deepEqual(aptCalls(), []);
  });

  it('stops at once with the exact command to run when it may not install (a binary that does not exist)', () => {
    const r = check('test', [present, absent('p2p-missing-a'), absent('p2p-missing-b')], ['--no-install']);
    assert.equal(r.code, 1);
    const sudo = isRoot ? '' : 'sudo ';
    const command = `${sudo}apt-get update && ${sudo}apt-get install -y p2p-missing-a p2p-missing-b`;
    assert.ok(r.stderr.split('\n').includes(`  ${command}`), r.stderr);
    assert.match(r.stderr, /p2p-missing-a: p2p-missing-a is needed by a test/);
    assert.doesNotMatch(r.stderr, /p2p-present/);
    assert.deepEqual(aptCalls(), [], 'apt-get must not run');
  });

  it('checks only what the command needs: a package only the tests need does not stop npm start', () => {
    assert.equal(check('start', [absent('p2p-tests-only', ['test'])], ['--no-install']).code, 0);
    assert.equal(check('test', [absent('p2p-tests-only', ['test'])], ['--no-install']).code, 1);
  });

  it('without apt-get (not Debian/Ubuntu) names the packages and why, and stops', () => {
    const list = join(dir, 'packages.json');
    writeFileSync(list, JSON.stringify([absent('p2p-missing')]));
    const r = spawnSync(process.execPath, [SCRIPT, 'test', '--packages', list, '--apt-get', join(dir, 'no-apt-get')], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /p2p-missing: p2p-missing is needed by a test/);
    assert.match(r.stderr, /no apt-get\): install the equivalents with your package manager/);
  });

  it('as root installs the missing packages with apt-get: update once, install -y, saying what and why once', () => {
    const a = absent('p2p-missing-a');
    const b = absent('p2p-missing-b');
    const r = check('test', [present, a, b], [], [...a.files, ...b.files]);
    if (!isRoot) {
      // Not root: it must not try, and says to use sudo.
      assert.equal(r.code, 1);
      assert.match(r.stderr, /sudo apt-get install -y p2p-missing-a p2p-missing-b/);
      assert.deepEqual(aptCalls(), []);
      return;
    }
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(aptCalls(), ['update -qq', 'install -y -qq p2p-missing-a p2p-missing-b']);
    assert.equal(r.stderr.match(/installing system packages/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /p2p-missing-b: p2p-missing-b is needed by a test/);
    assert.ok(existsSync(a.files[0]) && existsSync(b.files[0]));
    // Once installed, the next run is silent.
    const again = check('test', [present, a, b]);
    assert.equal(again.code, 0);
    assert.equal(again.stderr, '');
    assert.equal(aptCalls().length, 2);
  });

  it('fails clearly when apt-get succeeds but a file that proves the package is still missing', () => {
    const r = check('test', [absent('p2p-wrong-name')]);
    assert.equal(r.code, 1);
    if (isRoot) assert.match(r.stderr, /apt-get installed p2p-wrong-name but these files are still missing: .*/);
    else assert.match(r.stderr, /sudo apt-get install -y p2p-wrong-name/);
  });

  it('rejects a package list of the wrong shape and an unknown purpose', () => {
    const list = join(dir, 'bad.json');
    writeFileSync(list, JSON.stringify([{ name: 'x' }]));
    const bad = spawnSync(process.execPath, [SCRIPT, 'test', '--packages', list], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /not a list of \{name, files, why, for\}/);
    const unknown = spawnSync(process.execPath, [SCRIPT, 'deploy'], { encoding: 'utf8' });
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /unknown purpose "deploy"/);
  });
});
