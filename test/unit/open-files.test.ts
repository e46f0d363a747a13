// OpenFiles: read handles reused while chunks are served, and closed once nobody needs them,
// including a path forgotten (file changed or withdrawn) while a read was still using it.
import assert from 'node:assert/strict';
import type { FileHandle } from 'node:fs/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenFiles } from '@node-core/files/open-files';
import { waitFor } from './support/wait-for';

describe('OpenFiles', () => {
  let dir: string;
  let files: OpenFiles;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'open-files-'));
    files = new OpenFiles(50);
  });

  afterEach(async () => {
    await files.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reuses one handle for overlapping reads and closes it after the idle period', async () => {
    const path = join(dir, 'a.bin');
    await writeFile(path, 'abc');
    const seen: FileHandle[] = [];
    await Promise.all([1, 2].map(() => files.with(path, async (h) => void seen.push(h))));
    assert.equal(seen[0], seen[1]);
    await waitFor('the idle handle closed', () => seen[0].fd === -1, 2000);
  });

  it('a path forgotten while a read uses it is closed when that read ends', async () => {
    const path = join(dir, 'b.bin');
    await writeFile(path, 'abc');
    let handle: FileHandle | undefined;
    await files.with(path, async (h) => {
      handle = h;
      files.forget(path);
      assert.notEqual(h.fd, -1, 'still open for the read in progress');
    });
    await waitFor('the forgotten handle closed', () => handle?.fd === -1, 2000);
  });
});
