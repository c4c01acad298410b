import fc from 'fast-check';

import { FramingError } from '../errors';
import { caughtFraming } from '../testing/errors';
import { encodeFrame, type Frame, FrameDecoder, type LengthHeader, swapTpdu, type Tpdu } from './framing';

const payloads = [Buffer.from('0800first'), Buffer.from('0810second message'), Buffer.alloc(300, 0x41)];

function pushAll(decoder: FrameDecoder, chunks: readonly Buffer[]): Frame[] {
  return chunks.flatMap((c) => decoder.push(c));
}

describe.each(['binary2', 'ascii4'] as LengthHeader[])('%s framing', (header) => {
  const stream = Buffer.concat(payloads.map((p) => encodeFrame(p, { header })));

  it('writes the header the peer expects', () => {
    const f = encodeFrame(Buffer.from('abc'), { header });
    expect(f.toString('hex')).toBe(header === 'binary2' ? '0003616263' : '30303033616263');
  });

  it('decodes many frames from one chunk', () => {
    const d = new FrameDecoder({ header, maxFrameSize: 4096 });
    expect(d.push(stream).map((f) => f.payload)).toEqual(payloads);
    expect(d.hasPartialFrame).toBe(false);
  });

  it('decodes the same frames fed one byte at a time', () => {
    const d = new FrameDecoder({ header, maxFrameSize: 4096 });
    const frames: Frame[] = [];
    for (let i = 0; i < stream.length; i++) {
      frames.push(...d.push(stream.subarray(i, i + 1)));
      const atBoundary = frames.length === payloads.length || i === stream.length - 1;
      if (!atBoundary) expect(d.hasPartialFrame || d.bufferedBytes === 0).toBe(true);
    }
    expect(frames.map((f) => f.payload)).toEqual(payloads);
    expect(d.hasPartialFrame).toBe(false);
  });

  it('decodes the same frames whatever the chunk boundaries (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 20 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          chunks.push(stream.subarray(prev, p));
          prev = p;
        }
        const d = new FrameDecoder({ header, maxFrameSize: 4096 });
        expect(pushAll(d, chunks).map((f) => f.payload)).toEqual(payloads);
        expect(d.hasPartialFrame).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('reports a partial frame so the server can time it out', () => {
    const d = new FrameDecoder({ header, maxFrameSize: 4096 });
    expect(d.push(stream.subarray(0, 1))).toEqual([]);
    expect(d.hasPartialFrame).toBe(true);
    expect(d.bufferedBytes).toBe(1);
    d.push(stream.subarray(1, 8));
    expect(d.bufferedBytes).toBe(8);
  });

  it('refuses an oversize frame from its header, before buffering the body, and stays failed', () => {
    const d = new FrameDecoder({ header, maxFrameSize: 100 });
    const first = encodeFrame(payloads[0]!, { header });
    const big = encodeFrame(payloads[2]!, { header });
    expect(d.push(first)).toHaveLength(1);
    const e = caughtFraming(() => d.push(big.subarray(0, header === 'binary2' ? 2 : 4)));
    expect(e).toMatchObject({ kind: 'OVERSIZE_FRAME', streamOffset: first.length });
    expect(d.failed).toBe(true);
    expect(caughtFraming(() => d.push(Buffer.from('0')))).toMatchObject({ kind: 'DECODER_FAILED' });
  });

  it('refuses an empty frame unless told to skip it', () => {
    const empty = encodeFrame(Buffer.alloc(0), { header });
    expect(caughtFraming(() => new FrameDecoder({ header, maxFrameSize: 100 }).push(empty))).toMatchObject({
      kind: 'BAD_HEADER',
    });
    const skipping = new FrameDecoder({ header, maxFrameSize: 100, emptyFrames: 'skip' });
    expect(
      skipping.push(Buffer.concat([empty, stream.subarray(0, 11 + (header === 'binary2' ? 2 : 4))])),
    ).toHaveLength(1);
  });

  it('refuses a frame too long for the header on encode', () => {
    const tooBig = Buffer.alloc(header === 'binary2' ? 65536 : 10000);
    expect(caughtFraming(() => encodeFrame(tooBig, { header }))).toMatchObject({ kind: 'OVERSIZE_FRAME' });
  });
});

describe('ascii4 header validation', () => {
  it('refuses a header that is not 4 decimal digits', () => {
    const d = new FrameDecoder({ header: 'ascii4', maxFrameSize: 100 });
    expect(caughtFraming(() => d.push(Buffer.from('00x5hello')))).toMatchObject({
      kind: 'BAD_HEADER',
      streamOffset: 0,
    });
  });
});

describe('TPDU', () => {
  const tpdu: Tpdu = { destination: 0x0003, source: 0x0120 };

  it('sits between header and message and is counted in the length', () => {
    const f = encodeFrame(Buffer.from('0800'), { header: 'binary2', tpdu });
    expect(f.toString('hex')).toBe('0009' + '6000030120' + '30383030');
    const [frame] = new FrameDecoder({ header: 'binary2', maxFrameSize: 100, tpdu: true }).push(f);
    expect(frame).toEqual({ payload: Buffer.from('0800'), tpdu });
  });

  it('swaps source and destination for the answer', () => {
    expect(swapTpdu(tpdu)).toEqual({ destination: 0x0120, source: 0x0003 });
    const answer = encodeFrame(Buffer.from('0810'), { header: 'binary2', tpdu: swapTpdu(tpdu) });
    expect(answer.subarray(2, 7).toString('hex')).toBe('6001200003');
  });

  it('refuses a TPDU that does not start with 0x60, and a frame too short for one', () => {
    const bad = Buffer.from('0009' + '6800030120' + '30383030', 'hex');
    expect(
      caughtFraming(() => new FrameDecoder({ header: 'binary2', maxFrameSize: 100, tpdu: true }).push(bad)),
    ).toMatchObject({
      kind: 'BAD_TPDU',
    });
    const short = Buffer.from('0003' + '600003', 'hex');
    expect(
      caughtFraming(() => new FrameDecoder({ header: 'binary2', maxFrameSize: 100, tpdu: true }).push(short)),
    ).toMatchObject({
      kind: 'BAD_TPDU',
    });
  });

  it('refuses NIIs outside two bytes when encoding', () => {
    expect(() =>
      encodeFrame(Buffer.from('x'), { header: 'binary2', tpdu: { destination: 0x10000, source: 0 } }),
    ).toThrow(RangeError);
  });
});

describe('FrameDecoder options', () => {
  it('refuses a nonsensical maximum', () => {
    expect(() => new FrameDecoder({ header: 'binary2', maxFrameSize: 0 })).toThrow(RangeError);
  });

  it('returns payloads that do not alias the pushed chunk', () => {
    const chunk = encodeFrame(Buffer.from('0800'), { header: 'binary2' });
    const [frame] = new FrameDecoder({ header: 'binary2', maxFrameSize: 100 }).push(chunk);
    chunk.fill(0);
    expect(frame?.payload.toString()).toBe('0800');
  });

  it('throws only FramingError on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, tpdu) => {
        const d = new FrameDecoder({ header: 'ascii4', maxFrameSize: 64, tpdu });
        try {
          d.push(bytes);
        } catch (err: unknown) {
          expect(err).toBeInstanceOf(FramingError);
        }
      }),
    );
  });
});
