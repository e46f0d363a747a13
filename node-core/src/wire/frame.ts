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
const PREFIX_BYTES = 6;

/** A decoded frame: its parsed (not yet validated) header, what `admit` made of it, its payload. */
export interface RawFrame<M = unknown> {
  readonly header: unknown;
  readonly message: M;
  /** The payload in one buffer of its own (empty when there is none or it was skipped). */
  readonly payload: Buffer;
  /** `admit` chose not to keep the payload: its bytes were read and dropped. */
  readonly skipped: boolean;
}

/**
 * Called once a frame's header is in, before any of its payload: checks the header (throwing a
 * P2PError refuses the frame and so the connection) and says where the payload goes: a buffer
 * of exactly `payloadLength` bytes, or null to read past it without keeping it.
 */
export type AdmitFrame<M> = (header: unknown, payloadLength: number) => { message: M; payload: Buffer | null };

const admitAll: AdmitFrame<unknown> = (header, payloadLength) => ({
  message: header,
  payload: payloadLength > 0 ? Buffer.allocUnsafe(payloadLength) : EMPTY,
});

/** Encodes the 6-byte prefix plus header; the payload is written separately to avoid a copy. */
export function encodeFramePrefix(header: object, payloadLength: number): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > MAX_HEADER_BYTES)
    throw new P2PError('PROTOCOL', `header of ${json.length} bytes exceeds ${MAX_HEADER_BYTES}`);
  if (payloadLength > MAX_PAYLOAD_BYTES)
    throw new P2PError('PROTOCOL', `payload of ${payloadLength} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES + json.length);
  prefix.writeUInt32BE(2 + json.length + payloadLength, 0);
  prefix.writeUInt16BE(json.length, 4);
  json.copy(prefix, PREFIX_BYTES);
  return prefix;
}

/** Bytes kept free in front of a payload from payloadWithHeadroom(), for its frame's prefix and header. */
export const FRAME_HEADROOM = 512;
const withHeadroom = new WeakSet<ArrayBufferLike>();

/**
 * A payload buffer of `length` bytes with FRAME_HEADROOM bytes of its own in front, so that its
 * frame goes out as one contiguous buffer (framed()): a TLS socket copies the buffers of a
 * multi-buffer write into one before encrypting them.
 */
export function payloadWithHeadroom(length: number): Buffer {
  const whole = Buffer.allocUnsafeSlow(FRAME_HEADROOM + length);
  withHeadroom.add(whole.buffer);
  return whole.subarray(FRAME_HEADROOM);
}

/** Whether `payload` came from payloadWithHeadroom(). */
export function hasHeadroom(payload: Buffer): boolean {
  return payload.byteOffset === FRAME_HEADROOM && withHeadroom.has(payload.buffer);
}

/** The frame as one buffer, its prefix written into the payload's headroom; undefined without (enough) headroom. */
export function framed(prefix: Buffer, payload: Buffer): Buffer | undefined {
  if (!hasHeadroom(payload) || prefix.length > FRAME_HEADROOM) return undefined;
  const frame = Buffer.from(payload.buffer, FRAME_HEADROOM - prefix.length, prefix.length + payload.length);
  prefix.copy(frame, 0);
  return frame;
}

/** Whole frame in one buffer (tests and small messages). */
export function encodeFrame(header: object, payload: Buffer = EMPTY): Buffer {
  return Buffer.concat([encodeFramePrefix(header, payload.length), payload]);
}

/**
 * Incremental decoder: push() socket reads, get complete frames back. Throws P2PError
 * ('PROTOCOL') on an oversized or malformed frame; the caller then drops the connection.
 *
 * It keeps nothing of the buffer it is given: what a frame needs is copied out (the header,
 * and the payload straight into the buffer `admit` chose for it). So a socket can read into
 * one reused buffer, and a 1 MiB chunk lands in one buffer of its own (from a pool, in the
 * downloader) instead of as ~16 socket-sized allocations that outlive the read. The payload
 * buffer is only asked for once the header is known and admitted: a peer that announces a
 * large payload it is not expected to send gets no memory for it.
 */
export class FrameDecoder<M = unknown> {
  /** The prefix and header of the frame being read (small; grows to the largest header seen). */
  private head = Buffer.allocUnsafe(256);
  private headFilled = 0;
  private frameLength = -1;
  private headerLength = -1;
  private current: { header: unknown; message: M; payload: Buffer | null; length: number; filled: number } | undefined;

  constructor(private readonly admit: AdmitFrame<M> = admitAll as AdmitFrame<M>) {}

  push(chunk: Buffer): RawFrame<M>[] {
    const frames: RawFrame<M>[] = [];
    let offset = 0;
    while (offset < chunk.length || (this.current && this.current.filled === this.current.length)) {
      const current = this.current;
      if (current) {
        const take = Math.min(current.length - current.filled, chunk.length - offset);
        if (current.payload) chunk.copy(current.payload, current.filled, offset, offset + take);
        current.filled += take;
        offset += take;
        if (current.filled === current.length) {
          this.current = undefined;
          frames.push({
            header: current.header,
            message: current.message,
            payload: current.payload ?? EMPTY,
            skipped: current.payload === null,
          });
        }
        continue;
      }
      offset = this.readHead(chunk, offset);
    }
    return frames;
  }

  /** Copies prefix and header bytes from `chunk`; once the header is whole, admits the frame. */
  private readHead(chunk: Buffer, offset: number): number {
    const wanted = this.headerLength < 0 ? PREFIX_BYTES : PREFIX_BYTES + this.headerLength;
    const take = Math.min(wanted - this.headFilled, chunk.length - offset);
    chunk.copy(this.head, this.headFilled, offset, offset + take);
    this.headFilled += take;
    offset += take;
    if (this.frameLength < 0 && this.headFilled >= 4) {
      this.frameLength = this.head.readUInt32BE(0);
      if (this.frameLength < 2 || this.frameLength > MAX_FRAME_BYTES)
        throw new P2PError('PROTOCOL', `frame length ${this.frameLength} out of range`);
    }
    if (this.headerLength < 0 && this.headFilled >= PREFIX_BYTES) {
      this.headerLength = this.head.readUInt16BE(4);
      if (this.headerLength === 0 || this.headerLength > MAX_HEADER_BYTES || 2 + this.headerLength > this.frameLength) {
        throw new P2PError('PROTOCOL', `header length ${this.headerLength} out of range`);
      }
      if (this.head.length < PREFIX_BYTES + this.headerLength) {
        const bigger = Buffer.allocUnsafe(PREFIX_BYTES + this.headerLength);
        this.head.copy(bigger, 0, 0, this.headFilled);
        this.head = bigger;
      }
      return offset; // the header's bytes, if any are here, on the next turn
    }
    if (this.headerLength >= 0 && this.headFilled === PREFIX_BYTES + this.headerLength) {
      const header = parseHeader(this.head, this.headerLength);
      const payloadLength = this.frameLength - 2 - this.headerLength;
      if (payloadLength > MAX_PAYLOAD_BYTES) throw new P2PError('PROTOCOL', 'payload too large');
      this.frameLength = -1;
      this.headerLength = -1;
      this.headFilled = 0;
      const { message, payload } = this.admit(header, payloadLength);
      if (payload && payload.length !== payloadLength)
        throw new P2PError('INTERNAL', `payload buffer of ${payload.length} bytes for ${payloadLength}`);
      this.current = {
        header,
        message,
        payload: payloadLength === 0 ? EMPTY : payload,
        length: payloadLength,
        filled: 0,
      };
    }
    return offset;
  }
}

function parseHeader(head: Buffer, headerLength: number): unknown {
  try {
    return JSON.parse(head.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerLength));
  } catch {
    throw new P2PError('PROTOCOL', `header is not JSON`);
  }
}
