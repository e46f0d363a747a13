// The bounds of VersionIndex on their own: versions per name, holders per version, names in all,
// one version per holder, which version gives way when full, records that may not move a holder,
// and expiry.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { nodeIdOf } from '@node-core/chord/id';
import type { ChordContact, VersionClaim } from '@node-core/chord/remote';
import { VersionIndex } from '@node-core/chord/version-index';
import { MAX_CHORD_VERSIONS, MAX_VERSION_HOLDERS } from '@node-core/wire/fields';

let port = 1000;
function holder(): ChordContact {
  port++;
  return { id: `h${port}`, host: '127.0.0.1', port, nodeId: nodeIdOf('127.0.0.1', port) };
}

function version(): VersionClaim {
  return { size: 10, root: randomBytes(32).toString('hex') };
}

const roots = (index: VersionIndex, name = 'f'): string[] => index.versions(name).map((v) => v.root);

describe('chord VersionIndex (the bounded version records)', () => {
  it('keeps each version of a name apart, most held first', () => {
    const index = new VersionIndex();
    const [a, b] = [version(), version()];
    index.add('f', a, holder(), 1);
    index.add('f', b, holder(), 1);
    index.add('f', b, holder(), 1);
    assert.deepEqual(roots(index), [b.root, a.root]);
    assert.equal(index.versions('f')[0].holders.length, 2);
  });

  it('a holder serves one version of a name: publishing another moves it, and an empty version goes', () => {
    const index = new VersionIndex();
    const h = holder();
    const [a, b] = [version(), version()];
    index.add('f', a, h, 1);
    index.add('f', b, h, 2);
    assert.deepEqual(roots(index), [b.root]);
  });

  it('records another node sent never move a holder recorded under another version', () => {
    const index = new VersionIndex();
    const h = holder();
    const [a, b] = [version(), version()];
    index.add('f', a, h, 1);
    assert.equal(index.add('f', b, h, 2, { move: false }), false);
    assert.deepEqual(roots(index), [a.root]);
  });

  it(`at most ${MAX_CHORD_VERSIONS} versions: a flood of new ones replaces its own newest, not the first`, () => {
    const index = new VersionIndex();
    const first = [version(), version()];
    for (const v of first) index.add('f', v, holder(), 1);
    for (let i = 0; i < 1000; i++) index.add('f', version(), holder(), 2);
    const kept = roots(index);
    assert.equal(kept.length, MAX_CHORD_VERSIONS);
    for (const v of first) assert.ok(kept.includes(v.root));
  });

  it('when full, the version with the fewest holders gives way', () => {
    const index = new VersionIndex();
    const wellHeld = version();
    index.add('f', wellHeld, holder(), 1);
    index.add('f', wellHeld, holder(), 1);
    const singles = Array.from({ length: MAX_CHORD_VERSIONS - 1 }, () => version());
    for (const v of singles) index.add('f', v, holder(), 1);
    const late = version();
    index.add('f', late, holder(), 2);
    const kept = roots(index);
    assert.ok(kept.includes(wellHeld.root) && kept.includes(late.root));
    assert.ok(!kept.includes(singles[singles.length - 1].root), 'the newest single-holder version gave way');
  });

  it(`at most ${MAX_VERSION_HOLDERS} holders per version (the least recently seen gives way)`, () => {
    const index = new VersionIndex();
    const v = version();
    const holders = Array.from({ length: MAX_VERSION_HOLDERS + 3 }, () => holder());
    holders.forEach((h, i) => index.add('f', v, h, i));
    const kept = index.versions('f')[0].holders.map((h) => h.port);
    assert.equal(kept.length, MAX_VERSION_HOLDERS);
    assert.ok(!kept.includes(holders[0].port) && kept.includes(holders[holders.length - 1].port));
  });

  it('a bounded number of names: a new name past it is not kept', () => {
    const index = new VersionIndex(3);
    for (const name of ['a', 'b', 'c']) assert.ok(index.add(name, version(), holder(), 1));
    assert.equal(index.add('d', version(), holder(), 1), false);
    assert.deepEqual(index.names().sort(), ['a', 'b', 'c']);
  });

  it('expire drops holders not vouched for since the cutoff, then empty versions and names', () => {
    const index = new VersionIndex();
    const [a, b] = [version(), version()];
    const [h1, h2] = [holder(), holder()];
    index.add('f', a, h1, 1);
    index.add('f', b, h2, 1);
    index.add('f', b, h2, 10); // refreshed
    const before = index.revision('f');
    index.expire(5);
    assert.deepEqual(roots(index), [b.root]);
    assert.ok(index.revision('f') > before, 'a change is a new revision (the replicas are sent it)');
    index.expire(20);
    assert.deepEqual(index.names(), []);
  });

  it('remove withdraws one holder of one version only', () => {
    const index = new VersionIndex();
    const [a, b] = [version(), version()];
    const [h1, h2, h3] = [holder(), holder(), holder()];
    index.add('f', a, h1, 1);
    index.add('f', a, h2, 1);
    index.add('f', b, h3, 1);
    index.remove('f', b, h3);
    index.remove('f', a, h1);
    assert.deepEqual(roots(index), [a.root]);
    assert.deepEqual(
      index.versions('f')[0].holders.map((h) => h.port),
      [h2.port],
    );
  });
});
