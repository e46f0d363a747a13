// A file's identity: the root of a binary SHA-256 Merkle tree over its chunk digests, as in
// RFC 6962 (Certificate Transparency), bound to the file's size and chunk size. Leaves and inner
// nodes hash with different prefixes, so no list of inner nodes can pass for a list of chunks;
// the size and chunk size are in it, so no holder can restate them. The definition is in
// node-core/PROTOCOL.md, "Files and manifests".
import { createHash } from 'node:crypto';

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);
const FILE_PREFIX = Buffer.from([0x02]);
const DIGEST_BYTES = 32;

/** A file version's root (hex): SHA-256(0x02 | size as u64 BE | chunk size as u32 BE | tree hash of its digests). */
export function fileRoot(layout: { size: number; chunkSize: number; chunkHashes: Buffer }): string {
  const sizes = Buffer.alloc(12);
  sizes.writeBigUInt64BE(BigInt(layout.size), 0);
  sizes.writeUInt32BE(layout.chunkSize, 8);
  return hashOf(FILE_PREFIX, sizes, merkleTreeHash(layout.chunkHashes)).toString('hex');
}

/**
 * RFC 6962's Merkle tree hash of `chunkHashes`, 32-byte chunk digests back to back. Leaf i is
 * SHA-256(0x00 | digest i); a node is SHA-256(0x01 | left | right), where the left subtree holds
 * the largest power of two of leaves smaller than the count; no leaves: SHA-256 of nothing.
 */
export function merkleTreeHash(chunkHashes: Buffer): Buffer {
  if (chunkHashes.length % DIGEST_BYTES !== 0) throw new Error('chunk digests must be 32 bytes each');
  const count = chunkHashes.length / DIGEST_BYTES;
  if (count === 0) return createHash('sha256').digest();
  let level: Buffer[] = [];
  for (let i = 0; i < count; i++)
    level.push(hashOf(LEAF_PREFIX, chunkHashes.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES)));
  // pairing left to right level by level, an odd last node moving up unchanged, builds the
  // same tree as RFC 6962's split at the largest power of two
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashOf(NODE_PREFIX, level[i], level[i + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

function hashOf(prefix: Buffer, ...parts: Buffer[]): Buffer {
  const hash = createHash('sha256').update(prefix);
  for (const part of parts) hash.update(part);
  return hash.digest();
}
