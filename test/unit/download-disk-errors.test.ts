// A download that cannot write its .part (here: the getter runs under `ulimit -f`, so writes past
// 2 MiB fail with EFBIG, as on a full disk) fails at once with that cause, does not blame the
// holder, keeps its .part for later, and leaves both processes serving. Both sinks: a file of
// 40 MiB goes through the worker, one of 8 MiB stays in the main thread.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliProcess } from './cli-process';
import { useCliProcesses } from './cli-suite';

const MIB = 1024 * 1024;
/** bash runs node with a 2 MiB file-size limit (ulimit -f counts 1 KiB blocks). */
const LIMITED = ['bash', '-c', 'ulimit -f 2048 && exec "$@"', 'bash'];

describe('downloads: a .part that cannot be written', function () {
  this.timeout(60_000);
  const suite = useCliProcesses();

  for (const [sink, size] of [
    ['worker sink', 40 * MIB],
    ['main-thread sink', 8 * MIB],
  ] as const) {
    it(`fails with the write error, keeps the .part, blames no holder (${sink})`, async () => {
      const holderDir = await suite.fixture.tempDir();
      const getterDir = await suite.fixture.tempDir();
      await writeFile(join(holderDir, 'big.bin'), randomBytes(size));
      // a .part of the full size already there (its zeros do not verify): growing the file is not
      // what fails, writing its chunks past the limit is
      await mkdir(join(getterDir, 'Downloads'));
      await writeFile(join(getterDir, 'Downloads', 'big.bin.part'), Buffer.alloc(size));

      const holder = new CliProcess(suite.cli, [
        'peer',
        '--id',
        'holder',
        '--join',
        '127.0.0.1:1',
        '--dir',
        holderDir,
        '--json',
        '--heartbeat-ms',
        '200',
      ]);
      suite.procs.push(holder);
      const ready = await holder.next('ready');
      assert.ok(ready.role === 'peer');
      const getter = new CliProcess(
        suite.cli,
        [
          'peer',
          '--id',
          'getter',
          '--join',
          `127.0.0.1:${ready.port}`,
          '--dir',
          getterDir,
          '--json',
          '--heartbeat-ms',
          '200',
        ],
        {},
        LIMITED,
      );
      suite.procs.push(getter);
      await getter.next('neighbor-up', () => true, 15_000);

      getter.send('GET big.bin');
      const failed = await getter.next('error', (e) => e.name === 'big.bin', 30_000);
      assert.equal(failed.code, 'DOWNLOAD_FAILED');
      assert.match(failed.message, /writing "big\.bin\.part" failed/);
      assert.match(failed.message, /EFBIG|too large/i);
      assert.doesNotMatch(failed.message, /no holder/);
      assert.equal((await stat(join(getterDir, 'Downloads', 'big.bin.part'))).size, size);
      await assert.rejects(stat(join(getterDir, 'Downloads', 'big.bin')));

      // both still serve: the getter answers, the holder still shares its file
      const from = getter.events.length;
      getter.send('SEARCH big.bin');
      const found = await getter.next('search-result', () => true, 10_000, from);
      assert.deepEqual(
        found.holders.map((h) => h.id),
        ['holder'],
      );
    });
  }
});
