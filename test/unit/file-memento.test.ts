// The extension's workspace state file (extension/src/util/fileMemento.ts), on a real disk: what
// an update stores is there for the next reader as soon as update() returns, as a whole file.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMemento } from '../../extension/src/util/fileMemento';

describe('extension workspace state file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'p2p-memento-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a value updated is on disk for a new reader at once; undefined removes it', async () => {
    const file = join(dir, 'ws', 'state.json'); // its folder is made on the first update
    const state = new FileMemento(file);
    const saved = { peers: [{ id: 'demo-3', port: 41971 }] };
    void state.update('p2p.savedNodes', saved); // not awaited: a window may reload right after
    await state.update('p2p.transfers', []);
    const reader = new FileMemento(file);
    assert.deepEqual(reader.get('p2p.savedNodes'), saved);
    assert.deepEqual([...reader.keys()].sort(), ['p2p.savedNodes', 'p2p.transfers']);
    await state.update('p2p.transfers', undefined);
    assert.equal(new FileMemento(file).get('p2p.transfers', 'gone'), 'gone');
    assert.deepEqual(readdirSync(join(dir, 'ws')), ['state.json'], 'no half-written file left beside it');
  });

  it('starts from where the values were kept before, until it has a file of its own', async () => {
    const before = new FileMemento(join(dir, 'old.json'));
    await before.update('p2p.savedNodes', { peers: [] });
    const file = join(dir, 'state.json');
    assert.deepEqual(new FileMemento(file, before).get('p2p.savedNodes'), { peers: [] });
    await new FileMemento(file, before).update('p2p.transfers', [1]);
    await before.update('p2p.savedNodes', { peers: ['changed elsewhere'] });
    assert.deepEqual(new FileMemento(file, before).get('p2p.savedNodes'), { peers: [] }, 'its own file wins');
  });

  it('a file that is not a JSON object starts an empty state instead of failing, and is replaced whole', async () => {
    const file = join(dir, 'state.json');
    for (const junk of ['{"p2p.savedNodes": ', '[1, 2]', 'null']) {
      writeFileSync(file, junk);
      const state = new FileMemento(file);
      assert.deepEqual(state.keys(), []);
      await state.update('k', 1);
      assert.equal(new FileMemento(file).get('k'), 1);
    }
    assert.ok(!existsSync(`${file}.next`));
  });
});
