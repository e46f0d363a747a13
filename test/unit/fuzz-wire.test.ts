// Property tests of the one door every byte from the network passes: FrameDecoder (framing)
// and decodeMessage (the message table). Random bytes, mutated valid frames and random
// headers must only ever produce frames or a P2PError — never another exception, never a hang —
// and a valid stream must decode the same however the socket happens to split it.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeMessage,
  encodeFrame,
  FrameDecoder,
  MAX_FRAME_BYTES,
  MESSAGES,
  P2PError,
  PROTOCOL_VERSION,
} from '@node-core/wire';

/** Feeds `pieces` to a fresh decoder, then decodes each frame; returns the headers or the P2PError. */
function decodeAll(pieces: Buffer[]): { headers: unknown[]; payloads: Buffer[] } | P2PError {
  const decoder = new FrameDecoder();
  const headers: unknown[] = [];
  const payloads: Buffer[] = [];
  try {
    for (const piece of pieces) {
      for (const frame of decoder.push(piece)) {
        headers.push(frame.header);
        payloads.push(Buffer.from(frame.payload));
        try {
          decodeMessage(frame.header, frame.payload);
        } catch (err) {
          if (!(err instanceof P2PError)) throw err; // anything else is a crash of the one door
        }
      }
    }
  } catch (err) {
    if (err instanceof P2PError) return err;
    throw err;
  }
  return { headers, payloads };
}

/** Splits `bytes` at the given cut points (sorted, deduplicated, within bounds). */
function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    pieces.push(bytes.subarray(from, p));
    from = p;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

const TYPES = Object.keys(MESSAGES);
// A header generator biased towards the table: real types and field names with values of any
// JSON kind, so the field checks (not just the type lookup) get exercised.
const FIELD_NAMES = [
  ...new Set(
    Object.values(MESSAGES).flatMap((s) => [
      ...Object.keys(s.fields),
      ...Object.keys(('optional' in s ? s.optional : undefined) ?? {}),
    ]),
  ),
];
const jsonValue = fc.oneof(
  fc.integer({ min: -5, max: 70_000 }),
  fc.double(),
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    '127.0.0.1',
    'a.txt',
    '../x',
    'p2p',
    'flood',
    'chord',
    'a'.repeat(64),
    'f'.repeat(40),
    '__proto__',
    '',
  ),
  fc.boolean(),
  fc.constant(null),
  fc.array(
    fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.record({
        id: fc.string({ maxLength: 8 }),
        host: fc.string({ maxLength: 12 }),
        port: fc.integer({ min: -1, max: 70_000 }),
      }),
    ),
    { maxLength: 4 },
  ),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
);
const header = fc
  .record(
    {
      v: fc.oneof(fc.constant(PROTOCOL_VERSION), jsonValue),
      t: fc.oneof(fc.constantFrom(...TYPES), jsonValue),
      rid: fc.oneof(fc.nat(), jsonValue),
      re: fc.oneof(fc.nat(), jsonValue),
      extra: fc.dictionary(fc.constantFrom(...FIELD_NAMES), jsonValue, { maxKeys: 6 }),
    },
    { requiredKeys: ['v', 't'] },
  )
  .map(({ extra, ...common }) => ({ ...extra, ...common }));
const payload = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
);

describe('fuzz: frame decoder and message table', function () {
  this.timeout(60_000);

  it('random bytes in random pieces: frames or a P2PError, nothing else (80k cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        decodeAll(splitAt(Buffer.from(bytes), cuts));
      }),
      { numRuns: 80_000 },
    );
  });

  it('mutated valid frames (flipped bytes, forged lengths, truncation): frames or a P2PError (10k cases)', () => {
    fc.assert(
      fc.property(
        header,
        payload,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
        fc.nat(),
        (h, p, flips, frameLength, headerLength, keep) => {
          let frame: Buffer;
          try {
            frame = Buffer.from(encodeFrame(h, p));
          } catch (err) {
            assert.ok(err instanceof P2PError);
            return;
          }
          for (const [at, value] of flips) frame[at % frame.length] = value;
          if (frameLength !== undefined) frame.writeUInt32BE(frameLength, 0);
          if (headerLength !== undefined) frame.writeUInt16BE(headerLength, 4);
          const result = decodeAll([frame.subarray(0, keep % (frame.length + 1))]);
          if (!(result instanceof P2PError)) assert.ok(result.headers.length <= 1);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('random headers through decodeMessage: a message of the table or a P2PError (10k cases)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(header, payload, (h, p) => {
        try {
          const msg = decodeMessage(JSON.parse(JSON.stringify(h)), p);
          accepted++;
          assert.ok(TYPES.includes(msg.t));
        } catch (err) {
          if (!(err instanceof P2PError) || err.code !== 'PROTOCOL') throw err;
        }
      }),
      { numRuns: 10_000 },
    );
    // the generator must reach past the type check, or the property proves little
    assert.ok(accepted > 0, 'no random header was ever accepted');
  });

  it('a valid frame stream decodes identically however it is split (2k cases)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(header, payload), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (frames, cuts) => {
          const encoded: Buffer[] = [];
          for (const [h, p] of frames) {
            try {
              encoded.push(encodeFrame(h, p));
            } catch (err) {
              assert.ok(err instanceof P2PError);
            }
          }
          const stream = Buffer.concat(encoded);
          const whole = decodeAll([stream]);
          const split = decodeAll(splitAt(stream, cuts));
          const byteWise = decodeAll([...stream].map((b) => Buffer.from([b])));
          assert.ok(!(whole instanceof P2PError), 'a valid stream was refused');
          assert.equal(whole.headers.length, encoded.length);
          assert.deepEqual(split, whole);
          assert.deepEqual(byteWise, whole);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('a huge length prefix is refused at once, before any payload arrives', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_FRAME_BYTES + 1, max: 0xffffffff }), (length) => {
        const prefix = Buffer.alloc(4);
        prefix.writeUInt32BE(length);
        const result = decodeAll([prefix]);
        assert.ok(result instanceof P2PError && result.code === 'PROTOCOL');
      }),
      { numRuns: 2_000 },
    );
  });
});
