// The worker sink's thread: checks each chunk against its manifest digest, writes it at its offset
// in the .part, then moves its buffers back to the main thread, where the next chunks are received
// into them (payloadPool): a download's memory is the same few buffers. A chunk that does not
// match is never written.
import { openSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { chunkVerifies } from '../files/chunk-check';
import { buffersOf, messageOf, type ChunkMessage, type SinkWorkerReply, type WriterData } from './sink-worker-messages';

// 64 KiB per write(): the kernel copies larger writes into large page-cache folios, many times
// slower per byte (node-core/README.md, "Where the bytes go")
const SLICE = 64 * 1024;

const { path, size, chunkSize, chunkHashes } = workerData as WriterData;
const layout = { size, chunkSize, chunkHashes };
const main = parentPort as NonNullable<typeof parentPort>;
const fd = openSync(path, 'r+');

/** Writes the pieces back to back from `position`, a slice per call, with no event-loop turn between. */
function writeChunk(pieces: readonly Uint8Array[], position: number): void {
  for (const piece of pieces) {
    for (let done = 0; done < piece.length;) {
      const n = writeSync(fd, piece, done, Math.min(SLICE, piece.length - done), position);
      if (n <= 0) throw new Error(`write returned ${n}`);
      done += n;
      position += n;
    }
  }
}

main.on('message', (msg: ChunkMessage) => {
  const returned = buffersOf(msg.pieces);
  let reply: SinkWorkerReply;
  let mismatch = false;
  try {
    mismatch = !chunkVerifies(layout, msg.index, msg.pieces);
    if (mismatch) throw new Error(`chunk ${msg.index} does not match its manifest`);
    writeChunk(msg.pieces, msg.index * chunkSize);
    reply = { written: msg.id, returned };
  } catch (err) {
    reply = { failed: msg.id, returned, message: messageOf(err), mismatch };
  }
  main.postMessage(reply, returned);
});
