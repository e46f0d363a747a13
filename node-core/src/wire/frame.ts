// Framing: u32 BE frame length | u16 BE header length | JSON header | raw payload.
// The frame length counts everything after itself. File data travels as the raw payload, so
// a 1 MiB chunk costs one small JSON header and no base64.
import { P2PError } from './errors';

export const MAX_HEADER_BYTES = 64 * 1024;
/** Largest chunk a transfer may use; the payload cap is derived from it. */
export const MAX_CHUNK_BYTES = 1024 * 1024;
export const MAX_PAYLOAD_BYTES = MAX_CHUNK_BYTES;
export const MAX_FRAME_BYTES = 2 + MAX_HEADER_BYTES + MAX_PAYLOAD_BYTES;

const EMPTY = Buffer.alloc(0);

/**
 * A decoded frame. The payload stays as the socket pieces it arrived in (slices, no copy):
 * a 1 MiB chunk arrives as ~16 reads of 64 KiB and the downloader writes those pieces to
 * the file with one writev. `payload` joins them on first use (one copy) for everyone else.
 */
export class RawFrame {
  private joined: Buffer | undefined;

  constructor(
    /** The parsed (not yet validated) JSON header. */
    readonly header: unknown,
    readonly payloadPieces: readonly Buffer[],
    readonly payloadLength: number,
  ) {}

  get payload(): Buffer {
    if (this.joined === undefined) {
      const pieces = this.payloadPieces;
      this.joined = pieces.length === 0 ? EMPTY : pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, this.payloadLength);
    }
    return this.joined;
  }
}

/** Encodes the 6-byte prefix plus header; the payload is written separately to avoid a copy. */
export function encodeFramePrefix(header: object, payloadLength: number): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > MAX_HEADER_BYTES) throw new P2PError('PROTOCOL', `header of ${json.length} bytes exceeds ${MAX_HEADER_BYTES}`);
  if (payloadLength > MAX_PAYLOAD_BYTES) throw new P2PError('PROTOCOL', `payload of ${payloadLength} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  const prefix = Buffer.allocUnsafe(6 + json.length);
  prefix.writeUInt32BE(2 + json.length + payloadLength, 0);
  prefix.writeUInt16BE(json.length, 4);
  json.copy(prefix, 6);
  return prefix;
}

/** Whole frame in one buffer (tests and small messages). */
export function encodeFrame(header: object, payload: Buffer = EMPTY): Buffer {
  return Buffer.concat([encodeFramePrefix(header, payload.length), payload]);
}

/**
 * Incremental decoder: push() socket chunks, get complete frames back. Throws P2PError
 * ('PROTOCOL') on an oversized or malformed frame; the caller then drops the connection.
 * Buffers are kept as a list; a frame's header is joined (small), its payload is handed out
 * as the list of pieces (see RawFrame), so a 1 MiB payload is not copied here at all.
 */
export class FrameDecoder {
  private pieces: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): RawFrame[] {
    this.pieces.push(chunk);
    this.buffered += chunk.length;
    const frames: RawFrame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const frameLength = this.peekUInt32();
      if (frameLength < 2 || frameLength > MAX_FRAME_BYTES) {
        throw new P2PError('PROTOCOL', `frame length ${frameLength} out of range`);
      }
      if (this.buffered < 4 + frameLength) break;
      const headerLength = this.peekHeaderLength();
      if (headerLength === 0 || headerLength > MAX_HEADER_BYTES || 2 + headerLength > frameLength) {
        throw new P2PError('PROTOCOL', `header length ${headerLength} out of range`);
      }
      const prefix = join(this.take(6 + headerLength), 6 + headerLength);
      const payloadLength = frameLength - 2 - headerLength;
      if (payloadLength > MAX_PAYLOAD_BYTES) throw new P2PError('PROTOCOL', 'payload too large');
      frames.push(new RawFrame(parseHeader(prefix, headerLength), this.take(payloadLength), payloadLength));
    }
    return frames;
  }

  private peekUInt32(): number {
    const first = this.pieces[0];
    if (first.length >= 4) return first.readUInt32BE(0);
    const joined = Buffer.concat(this.pieces);
    this.pieces = [joined];
    return joined.readUInt32BE(0);
  }

  /** The u16 header length at bytes 4–5 (the first piece may be shorter than 6 bytes). */
  private peekHeaderLength(): number {
    if (this.pieces[0].length < 6) this.pieces = [Buffer.concat(this.pieces)];
    return this.pieces[0].readUInt16BE(4);
  }

  /** Removes the next `length` bytes as slices of the pieces (no copy). */
  private take(length: number): Buffer[] {
    const out: Buffer[] = [];
    let left = length;
    while (left > 0) {
      const piece = this.pieces[0];
      if (piece.length <= left) {
        out.push(piece);
        left -= piece.length;
        this.pieces.shift();
      } else {
        out.push(piece.subarray(0, left));
        this.pieces[0] = piece.subarray(left);
        left = 0;
      }
    }
    this.buffered -= length;
    return out;
  }
}

function join(pieces: Buffer[], length: number): Buffer {
  return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, length);
}

function parseHeader(prefix: Buffer, headerLength: number): unknown {
  try {
    return JSON.parse(prefix.toString('utf8', 6, 6 + headerLength));
  } catch {
    throw new P2PError('PROTOCOL', 'header is not JSON');
  }
}
