// The root that names a file version (files/merkle.ts): RFC 6962's tree hash over the chunk
// digests, checked against the RFC's recursive definition written out here, bound to the size
// and chunk size.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeManifest } from '@node-core/files/manifest';
import { fileRoot, merkleTreeHash } from '@node-core/files/merkle';

const sha256 = (...parts: Buffer[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** RFC 6962, 2.1: MTH({}) = SHA-256(), MTH({d0}) = SHA-256(0x00 | d0), else split at the largest power of 2 < n. */
function rfc6962(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return sha256(Buffer.from([0]), leaves[0]);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.from([1]), rfc6962(leaves.slice(0, k)), rfc6962(leaves.slice(k)));
}

describe('merkle root', () => {
  it('is RFC 6962 tree hash over the chunk digests, for every count from 0 to 70', () => {
    for (let count = 0; count <= 70; count++) {
      const leaves = Array.from({ length: count }, () => randomBytes(32));
      assert.ok(merkleTreeHash(Buffer.concat(leaves)).equals(rfc6962(leaves)), `${count} chunks`);
    }
    assert.ok(merkleTreeHash(Buffer.alloc(0)).equals(sha256()));
  });

  it('binds the size and chunk size: a holder restating either names another version', () => {
    const chunkHashes = randomBytes(4 * 32);
    const layout = { size: 3 * 1000 + 1, chunkSize: 1000, chunkHashes };
    const expected = Buffer.alloc(12);
    expected.writeBigUInt64BE(BigInt(layout.size));
    expected.writeUInt32BE(1000, 8);
    const root = fileRoot(layout);
    assert.equal(root, sha256(Buffer.from([2]), expected, merkleTreeHash(chunkHashes)).toString('hex'));
    assert.notEqual(fileRoot({ ...layout, chunkSize: 999 }), root); // still 4 chunks
    assert.notEqual(fileRoot({ ...layout, size: 3 * 1000 + 2 }), root);
  });

  it('changes with any chunk digest, and inner nodes cannot pass for chunks', () => {
    const leaves = Array.from({ length: 4 }, () => randomBytes(32));
    const root = merkleTreeHash(Buffer.concat(leaves));
    for (let i = 0; i < 4; i++) {
      const changed = leaves.map((leaf) => Buffer.from(leaf));
      changed[i][7] ^= 1;
      assert.ok(!merkleTreeHash(Buffer.concat(changed)).equals(root));
    }
    // the two inner nodes under the root, offered as a 2-chunk file: a different root (0x00/0x01 prefixes)
    const inner = [rfc6962(leaves.slice(0, 2)), rfc6962(leaves.slice(2))];
    assert.ok(!merkleTreeHash(Buffer.concat(inner)).equals(root));
    assert.throws(() => merkleTreeHash(Buffer.alloc(33)));
  });

  it('is part of every manifest the store computes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'p2p-merkle-'));
    try {
      const content = randomBytes(5 * 1000 + 3);
      await writeFile(join(dir, 'f'), content);
      const manifest = await computeManifest(join(dir, 'f'), 'f', 1000);
      const leaves = Array.from({ length: 6 }, (_, i) => sha256(content.subarray(i * 1000, (i + 1) * 1000)));
      assert.equal(
        manifest.root,
        fileRoot({ size: content.length, chunkSize: 1000, chunkHashes: Buffer.concat(leaves) }),
      );
      assert.ok(merkleTreeHash(manifest.chunkHashes).equals(rfc6962(leaves)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
