// The downloader's two requests (manifest-get, chunk-get) and the holder's answers to them.
// Kept together so the wire shape of a transfer lives in one place.
import type { FileStore } from '../files/file-store';
import { chunkLength, manifestIsConsistent, type FileManifest } from '../files/manifest';
import { fileRoot } from '../files/merkle';
import { P2PError, type Connection, type Incoming } from '../wire';
import { serveQueueOf, SERVE_WAITING_MAX } from './serve-queue';
import type { UploadLimiter } from './upload-limiter';

/** A holder's manifest, its root computed here from its chunk digests (never taken from the holder). */
export async function fetchManifest(conn: Connection, name: string, signal?: AbortSignal): Promise<FileManifest> {
  const answer = await conn.request({ t: 'manifest-get', name }, { signal });
  const { msg } = answer;
  if (msg.t !== 'manifest' || msg.name !== name) throw new P2PError('PROTOCOL', `expected the manifest of "${name}"`);
  // the payload is a buffer of its own (the decoder copied it out of the socket read): kept, not copied
  const { size, chunkSize } = msg;
  const manifest = { name, size, chunkSize, chunkHashes: answer.payload, root: '' };
  if (!manifestIsConsistent(manifest))
    throw new P2PError('VERIFY_FAILED', `the manifest of "${name}" does not match its size`, name);
  manifest.root = fileRoot(manifest);
  return manifest;
}

/** How long a chunk may take with nothing at all arriving on its connection. */
export const CHUNK_TIMEOUT_MS = 30_000;

/** The chunk's bytes (one buffer, from payloadPool: the sink hands it back once written). */
export async function fetchChunk(
  conn: Connection,
  manifest: FileManifest,
  index: number,
  signal?: AbortSignal,
  timeoutMs = CHUNK_TIMEOUT_MS,
): Promise<readonly Buffer[]> {
  // counted from the link's last bytes: a chunk queued behind others at a holder that paces
  // its uploads (--max-upload) is late because the link is busy, not because the holder is gone
  const answer = await conn.request(
    { t: 'chunk-get', name: manifest.name, root: manifest.root, index },
    { signal, timeoutMs, timeoutFromLastTraffic: true },
  );
  if (
    answer.msg.t !== 'chunk' ||
    answer.msg.index !== index ||
    answer.payload.length !== chunkLength(manifest, index)
  ) {
    throw new P2PError('PROTOCOL', `bad answer for chunk ${index} of "${manifest.name}"`);
  }
  return [answer.payload];
}

/** Holder side: answers manifest-get and chunk-get from the shared files only, chunks within the upload cap if any. */
export async function serveTransferRequest(
  store: FileStore,
  conn: Connection,
  incoming: Incoming,
  limiter?: UploadLimiter,
): Promise<boolean> {
  const { msg } = incoming;
  if (msg.t === 'manifest-get') {
    try {
      const m = await store.manifest(msg.name);
      await conn.reply(
        incoming,
        {
          t: 'manifest',
          name: m.name,
          size: m.size,
          chunkSize: m.chunkSize,
          chunks: m.chunkHashes.length / 32,
        },
        m.chunkHashes,
      );
    } catch (err) {
      await conn.replyError(incoming, err).catch(() => undefined);
    }
    return true;
  }
  if (msg.t === 'chunk-get') {
    const served = await serveQueueOf(conn).run(async () => {
      if (!conn.isOpen) return; // closed while this request waited: nothing to read for
      try {
        // the cap's wait comes before the read: a chunk queued at a paced holder holds no buffer
        // (the read checks the request again, as the file may have changed meanwhile)
        if (limiter) await limiter.take((await store.servableChunk(msg.name, msg.root, msg.index)).length);
        const data = await store.readChunk(msg.name, msg.root, msg.index);
        // resolves once the socket has taken the bytes, which is when the queue's slot frees
        await conn.reply(incoming, { t: 'chunk', name: msg.name, index: msg.index }, data, () =>
          store.releaseChunk(data),
        );
      } catch (err) {
        await conn.replyError(incoming, err).catch(() => undefined);
      }
    });
    if (!served)
      conn.close(
        new P2PError('PROTOCOL', `more than ${SERVE_WAITING_MAX} chunk requests waiting on one connection`),
        true,
      );
    return true;
  }
  return false;
}
