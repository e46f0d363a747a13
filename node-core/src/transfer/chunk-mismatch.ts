// The one error a chunk sink rejects a chunk with when it is not what the manifest says: the
// download blames the holder that sent it, where any other sink failure is our own.
import type { FileManifest } from '../files/manifest';
import { P2PError } from '../wire';

export function chunkMismatch(manifest: Pick<FileManifest, 'name'>, index: number): P2PError {
  return new P2PError(
    'VERIFY_FAILED',
    `chunk ${index} of "${manifest.name}" does not match its manifest`,
    manifest.name,
  );
}

/** Whether a sink refused the chunk (the sender's fault) rather than failed to write it. */
export function isChunkMismatch(err: unknown): boolean {
  return err instanceof P2PError && err.code === 'VERIFY_FAILED';
}
