// A file's description: size, chunk size, SHA-256 per chunk, and its identity, the Merkle root
// over the chunk digests (merkle.ts). Computed by streaming the file once (never holding it in
// memory), each byte hashed once; the chunk digests travel as the raw payload of a `manifest`
// message, 32 bytes each, and the receiver computes the root itself.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { MAX_CHUNK_BYTES } from '../wire';
import { fileRoot } from './merkle';

export { chunkLength, chunkVerifies } from './chunk-check';

export const DEFAULT_CHUNK_SIZE = MAX_CHUNK_BYTES;

export interface FileManifest {
  name: string;
  size: number;
  chunkSize: number;
  /** `chunkCount(size, chunkSize)` digests of 32 bytes, concatenated. */
  chunkHashes: Buffer;
  /** The Merkle root of `chunkHashes` with the size and chunk size (merkle.ts), hex: the version's identity. */
  root: string;
}

export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

export function chunkHash(manifest: FileManifest, index: number): Buffer {
  return manifest.chunkHashes.subarray(index * 32, index * 32 + 32);
}

/** Reads the file once, chunk by chunk, hashing each chunk; `signal` stops it between chunks. */
export async function computeManifest(
  path: string,
  name: string,
  chunkSize = DEFAULT_CHUNK_SIZE,
  signal?: AbortSignal,
): Promise<FileManifest> {
  const handle = await open(path, 'r');
  try {
    const digests: Buffer[] = [];
    const buffer = Buffer.allocUnsafe(chunkSize);
    let size = 0;
    for (;;) {
      signal?.throwIfAborted();
      let filled = 0;
      while (filled < chunkSize) {
        const { bytesRead } = await handle.read(buffer, filled, chunkSize - filled, size + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled === 0) break;
      const chunk = buffer.subarray(0, filled);
      digests.push(createHash('sha256').update(chunk).digest());
      size += filled;
      if (filled < chunkSize) break;
    }
    const chunkHashes = Buffer.concat(digests);
    const root = fileRoot({ size, chunkSize, chunkHashes });
    return { name, size, chunkSize, chunkHashes, root };
  } finally {
    await handle.close();
  }
}

/** Checks that a received manifest is self-consistent before trusting any chunk with it. */
export function manifestIsConsistent(manifest: FileManifest): boolean {
  return (
    manifest.chunkSize > 0 &&
    manifest.chunkSize <= MAX_CHUNK_BYTES &&
    manifest.chunkHashes.length === chunkCount(manifest.size, manifest.chunkSize) * 32
  );
}
