// PAUSE and resume through the p2p-node CLI, as the extension's Transfers view drives it: a paused
// GET keeps its .part, a second GET resumes from it and verifies; CANCEL removes it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliProcess } from './cli-process';
import { useCliProcesses } from './cli-suite';
import { rootOf } from './support/file-root';

const SIZE = 12 * 1024 * 1024;

describe('cli: PAUSE keeps the .part, GET resumes it', function () {
  this.timeout(40_000);
  const suite = useCliProcesses();

  async function start(args: string[]): Promise<{ proc: CliProcess; port: number }> {
    const proc = new CliProcess(suite.cli, [...args, '--json']);
    suite.procs.push(proc);
    const ready = await proc.next('ready');
    return { proc, port: ready.port };
  }

  /**
   * A holder capped at 2 MiB/s (the download takes seconds) and a getter. The default heartbeat:
   * after a pause the holder still paces the chunks it had started for the closed connection, and
   * a short idle timeout would close the resumed one while it waits behind them.
   */
  async function network(): Promise<{ getter: CliProcess; dir: string; content: Buffer }> {
    const ms = await start(['metaserver', '--port', '0']);
    const holderDir = await suite.fixture.tempDir();
    const content = randomBytes(SIZE);
    await writeFile(join(holderDir, 'big.bin'), content);
    const metaserver = ['--metaserver', `127.0.0.1:${ms.port}`];
    await start(['peer', '--id', 'h', '--dir', holderDir, '--max-upload', '2M', ...metaserver]);
    const dir = await suite.fixture.tempDir();
    const { proc: getter } = await start(['peer', '--id', 'g', '--dir', dir, ...metaserver]);
    await getter.next('neighbor-up', (e) => e.id === 'h');
    return { getter, dir, content };
  }

  it('pauses with download-paused, keeps the .part, and a second GET resumes and verifies', async () => {
    const { getter, dir, content } = await network();
    const part = join(dir, 'Downloads', 'big.bin.part');
    getter.send('GET big.bin');
    await getter.next('download-progress', (e) => e.bytes >= 2 * 1024 * 1024 && e.bytes < e.total, 15_000);
    getter.send('PAUSE big.bin');
    const moving = getter.events.filter((e) => e.event === 'download-progress' && e.bytes > 0).at(-1);
    assert.ok(moving?.event === 'download-progress' && (moving.sources?.h ?? 0) > 0, 'progress names the holder');
    const paused = await getter.next('download-paused');
    assert.equal(paused.total, SIZE);
    assert.ok(paused.bytes > 0 && paused.bytes < SIZE, `paused at ${paused.bytes}`);
    assert.equal((await stat(part)).isFile(), true);
    await assert.rejects(stat(join(dir, 'Downloads', 'big.bin')), { code: 'ENOENT' });
    getter.send('PAUSE big.bin');
    await getter.next('error', (e) => e.code === 'NOT_FOUND' && e.name === 'big.bin');

    const from = getter.events.length;
    getter.send('GET big.bin');
    // The resumed download starts from the chunks of the .part that still verify.
    const first = await getter.next('download-progress', () => true, 8000, from);
    assert.ok(first.bytes > 0, `resumed at ${first.bytes}`);
    const done = await getter.next('download-complete', () => true, 30_000, from);
    assert.equal(done.root, rootOf(content));
    assert.ok((await readFile(done.path)).equals(content));
    await assert.rejects(stat(part), { code: 'ENOENT' });
  });

  it('CANCEL removes the .part', async () => {
    const { getter, dir } = await network();
    getter.send('GET big.bin');
    await getter.next('download-progress', (e) => e.bytes > 0 && e.bytes < e.total, 15_000);
    getter.send('CANCEL big.bin');
    await getter.next('error', (e) => e.code === 'CANCELLED' && e.name === 'big.bin');
    await assert.rejects(stat(join(dir, 'Downloads', 'big.bin.part')), { code: 'ENOENT' });
  });
});
