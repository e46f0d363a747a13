// The worker sink's hasher thread: folds the writer's chunks into the whole-file SHA-256 in file
// order. A chunk it cannot keep until its turn is read back from the .part, where the writer has
// already put it. Each chunk's buffers go back to the main thread once hashed, where the next
// chunks are received into them (payloadPool): a download's memory is the same few buffers.
import { createHash } from 'node:crypto';
import { openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import {
  buffersOf,
  messageOf,
  type ChunkMessage,
  type HasherCommand,
  type HasherData,
  type SinkWorkerReply,
} from './sink-worker-messages';

const { path, size, chunkSize, count, heldMax, writer } = workerData as HasherData;
const main = parentPort as NonNullable<typeof parentPort>;
const hash = createHash('sha256');
const onDisk = new Uint8Array(count);
const held = new Map<number, Uint8Array[]>();
const fd = openSync(path, 'r');
let scratch: Buffer | undefined;
let next = 0;
let failure: string | undefined;
let wanted = false;

function reply(msg: SinkWorkerReply, transfer: ArrayBuffer[] = []): void {
  main.postMessage(msg, transfer);
}

/** Chunk `index` as the writer put it in the .part, in a scratch buffer reused for each. */
function readBack(index: number): Uint8Array[] {
  const length = Math.min(chunkSize, size - index * chunkSize);
  scratch ??= Buffer.allocUnsafe(chunkSize);
  for (let filled = 0; filled < length;) {
    const n = readSync(fd, scratch, filled, length - filled, index * chunkSize + filled);
    if (n === 0) throw new Error(`chunk ${index} is missing from the .part`);
    filled += n;
  }
  return [scratch.subarray(0, length)];
}

function giveBack(pieces: readonly Uint8Array[]): void {
  const buffers = buffersOf(pieces);
  reply({ returned: buffers }, buffers);
}

/** Hashes every chunk whose turn has come, then answers a waiting digest request if it can. */
function advance(): void {
  while (!failure && next < count && onDisk[next]) {
    try {
      const kept = held.get(next);
      held.delete(next);
      for (const piece of kept ?? readBack(next)) hash.update(piece);
      if (kept) giveBack(kept);
      next++;
    } catch (err) {
      failure = messageOf(err);
    }
  }
  if (wanted && (failure || next === count)) {
    wanted = false;
    reply(failure ? { error: failure } : { sha256: hash.digest('hex') });
  }
}

writer.on('message', (msg: ChunkMessage) => {
  onDisk[msg.index] = 1;
  if (msg.index === next || held.size < heldMax) held.set(msg.index, msg.pieces);
  else giveBack(msg.pieces);
  // taken: it is held (at most heldMax, and the next one) or back in the main thread
  reply({ taken: msg.id });
  advance();
});

main.on('message', (msg: HasherCommand) => {
  if ('present' in msg) onDisk[msg.present] = 1;
  else wanted = true;
  advance();
});
