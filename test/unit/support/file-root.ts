// A file version's identity as a store computes it (node-core/src/files/manifest.ts): the Merkle
// root of its chunk digests, for tests that check what a download or a search names.
import { createHash } from 'node:crypto';
import { DEFAULT_CHUNK_SIZE } from '@node-core/files/manifest';
import { fileRoot } from '@node-core/files/merkle';

/** The SHA-256 of each chunk of `content` cut into chunks of `chunkSize`, 32 bytes each, back to back. */
export function chunkHashesOf(content: string | Buffer, chunkSize = DEFAULT_CHUNK_SIZE): Buffer {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  const digests: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunkSize)
    digests.push(
      createHash('sha256')
        .update(data.subarray(at, at + chunkSize))
        .digest(),
    );
  return Buffer.concat(digests);
}

/** The root of `content` cut into chunks of `chunkSize` (a store's default unless given). */
export function rootOf(content: string | Buffer, chunkSize = DEFAULT_CHUNK_SIZE): string {
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  return fileRoot({ size, chunkSize, chunkHashes: chunkHashesOf(content, chunkSize) });
}
