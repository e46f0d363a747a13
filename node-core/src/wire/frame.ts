// Framing: u32 BE frame length | u16 BE header length | JSON header | raw payload.
// The frame length counts everything after itself. File data travels as the raw payload, so
// a 1 MiB chunk costs one small JSON header and no base64.
import { P2PError } from './errors';

export const MAX_HEADER_BYTES = 64 * 1024;
/** Largest chunk a transfer may use; the payload cap is derived from it. */
export const MAX_CHUNK_BYTES = 1024 * 1024;
export const MAX_PAYLOAD_BYTES = MAX_CHUNK_BYTES;
export const MAX_FRAME_BYTES = 2 + MAX_HEADER_BYTES + MAX_PAYLOAD_BYTES;

export interface RawFrame {
  /** The parsed (not yet validated) JSON header. */
  header: unknown;
  payload: Buffer;
}

const EMPTY = Buffer.alloc(0);

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
 * Buffers are kept as a list and joined once per frame, so a 1 MiB payload arriving in
 * 64 KiB pieces is copied once, not sixteen times.
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
      const frame = this.take(4 + frameLength);
      frames.push(parseFrame(frame));
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

  private take(length: number): Buffer {
    const first = this.pieces[0];
    let out: Buffer;
    if (first.length >= length) {
      out = first.subarray(0, length);
      if (first.length === length) this.pieces.shift();
      else this.pieces[0] = first.subarray(length);
    } else {
      out = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const piece = this.pieces[0];
        const need = length - filled;
        if (piece.length <= need) {
          piece.copy(out, filled);
          filled += piece.length;
          this.pieces.shift();
        } else {
          piece.copy(out, filled, 0, need);
          filled += need;
          this.pieces[0] = piece.subarray(need);
        }
      }
    }
    this.buffered -= length;
    return out;
  }
}

function parseFrame(frame: Buffer): RawFrame {
  const headerLength = frame.readUInt16BE(4);
  if (headerLength === 0 || headerLength > MAX_HEADER_BYTES || 6 + headerLength > frame.length) {
    throw new P2PError('PROTOCOL', `header length ${headerLength} out of range`);
  }
  const payloadLength = frame.length - 6 - headerLength;
  if (payloadLength > MAX_PAYLOAD_BYTES) throw new P2PError('PROTOCOL', 'payload too large');
  let header: unknown;
  try {
    header = JSON.parse(frame.toString('utf8', 6, 6 + headerLength));
  } catch {
    throw new P2PError('PROTOCOL', 'header is not JSON');
  }
  return { header, payload: frame.subarray(6 + headerLength) };
}
