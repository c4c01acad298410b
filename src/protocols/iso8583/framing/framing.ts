import { FramingError } from '../errors';

/**
 * Length headers seen on ISO 8583 links: binary2 = 2-byte big-endian byte count (jPOS NACChannel,
 * PostChannel); ascii4 = 4 ASCII decimal digits (jPOS ASCIIChannel). The count covers what follows the
 * header: the TPDU, when there is one, and the message.
 */
export type LengthHeader = 'binary2' | 'ascii4';

/** Transport Protocol Data Unit in front of the message on many POS links: 0x60, destination, source NII. */
export interface Tpdu {
  /** Destination NII, the two bytes as a big-endian number (often three BCD digits: 0x0003 = NII 003). */
  readonly destination: number;
  readonly source: number;
}

export const TPDU_ID = 0x60;
export const TPDU_SIZE = 5;

export interface Frame {
  /** The ISO 8583 message, ready for unpack. */
  readonly payload: Buffer;
  /** Present when the decoder expects TPDUs. */
  readonly tpdu: Tpdu | undefined;
}

export interface FrameDecoderOptions {
  readonly header: LengthHeader;
  /** Largest frame accepted, counted like the header (TPDU + message). Checked on the header, before buffering. */
  readonly maxFrameSize: number;
  readonly tpdu?: boolean;
  /** A zero-length frame: some hosts send them as keep-alives ('skip'); default 'reject'. */
  readonly emptyFrames?: 'reject' | 'skip';
}

export interface EncodeFrameOptions {
  readonly header: LengthHeader;
  /** Written in front of the payload when given. */
  readonly tpdu?: Tpdu | undefined;
}

/** The TPDU for an answer: the request's source becomes the destination. */
export function swapTpdu(tpdu: Tpdu): Tpdu {
  return { destination: tpdu.source, source: tpdu.destination };
}

export function headerSize(header: LengthHeader): number {
  return header === 'binary2' ? 2 : 4;
}

/** Largest body a header can announce. */
export function headerCapacity(header: LengthHeader): number {
  return header === 'binary2' ? 0xffff : 9999;
}

function checkNii(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`TPDU ${what} NII must be 0..0xFFFF`);
}

/** Frames one message for the wire: header, optional TPDU, payload, in one allocation. */
export function encodeFrame(payload: Uint8Array, options: EncodeFrameOptions): Buffer {
  const hs = headerSize(options.header);
  const tpdu = options.tpdu;
  const bodyLen = payload.length + (tpdu === undefined ? 0 : TPDU_SIZE);
  if (bodyLen > headerCapacity(options.header)) {
    throw new FramingError(
      'OVERSIZE_FRAME',
      `frame body of ${bodyLen} bytes does not fit a ${options.header} header`,
      0,
    );
  }
  const out = Buffer.allocUnsafe(hs + bodyLen);
  if (options.header === 'binary2') out.writeUInt16BE(bodyLen, 0);
  else out.write(String(bodyLen).padStart(4, '0'), 0, 'latin1');
  let off = hs;
  if (tpdu !== undefined) {
    checkNii(tpdu.destination, 'destination');
    checkNii(tpdu.source, 'source');
    out[off] = TPDU_ID;
    out.writeUInt16BE(tpdu.destination, off + 1);
    out.writeUInt16BE(tpdu.source, off + 3);
    off += TPDU_SIZE;
  }
  out.set(payload, off);
  return out;
}

/**
 * Splits a byte stream into frames. Tolerates any chunking (a byte at a time, many frames per chunk).
 * Holds no timers: a server that wants to drop a peer stuck mid-frame polls `hasPartialFrame`.
 * After a FramingError the stream has lost alignment for good, so every later push throws too.
 */
export class FrameDecoder {
  private readonly header: LengthHeader;
  private readonly hs: number;
  private readonly maxFrameSize: number;
  private readonly withTpdu: boolean;
  private readonly skipEmpty: boolean;
  private readonly headerBuf = Buffer.alloc(4);
  private headerFill = 0;
  private body: Buffer | undefined;
  private bodyFill = 0;
  /** Bytes consumed since creation; error offsets refer to it. */
  private consumed = 0;
  private frameStart = 0;
  private failure: FramingError | undefined;
  private salvaged: Frame[] = [];

  constructor(options: FrameDecoderOptions) {
    if (!Number.isInteger(options.maxFrameSize) || options.maxFrameSize < 1) {
      throw new RangeError('maxFrameSize must be a positive integer');
    }
    this.header = options.header;
    this.hs = headerSize(options.header);
    this.maxFrameSize = options.maxFrameSize;
    this.withTpdu = options.tpdu === true;
    this.skipEmpty = options.emptyFrames === 'skip';
  }

  /** True while bytes of an incomplete frame are held. */
  get hasPartialFrame(): boolean {
    return this.headerFill > 0 || this.body !== undefined;
  }

  /** Bytes held for the incomplete frame, header included. */
  get bufferedBytes(): number {
    return this.headerFill + (this.body === undefined ? 0 : this.hs + this.bodyFill);
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Frames the failing push completed before its fault (a frame whose header undercounted it is
   * complete, only the bytes after it are not): they can still be answered before the connection
   * closes. Handed out once.
   */
  takeFramesBeforeFailure(): Frame[] {
    const frames = this.salvaged;
    this.salvaged = [];
    return frames;
  }

  /** Feeds bytes; returns the frames they complete, in order (often none, sometimes several). */
  push(chunk: Uint8Array): Frame[] {
    if (this.failure !== undefined) {
      throw new FramingError(
        'DECODER_FAILED',
        `decoder failed earlier: ${this.failure.message}`,
        this.consumed,
      );
    }
    const frames: Frame[] = [];
    try {
      return this.consume(chunk, frames);
    } catch (err: unknown) {
      if (err instanceof FramingError) {
        this.failure = err;
        this.salvaged = frames;
      }
      throw err;
    }
  }

  private consume(chunk: Uint8Array, frames: Frame[]): Frame[] {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.body === undefined) {
        if (this.headerFill === 0) this.frameStart = this.consumed + i;
        const take = Math.min(this.hs - this.headerFill, n - i);
        for (let k = 0; k < take; k++) this.headerBuf[this.headerFill++] = chunk[i + k]!;
        i += take;
        if (this.headerFill < this.hs) break;
        this.headerFill = 0;
        const len = this.parseHeader();
        if (len === 0) continue;
        this.body = Buffer.allocUnsafe(len);
        this.bodyFill = 0;
      }
      const body = this.body;
      const take = Math.min(body.length - this.bodyFill, n - i);
      body.set(chunk.subarray(i, i + take), this.bodyFill);
      this.bodyFill += take;
      i += take;
      if (this.bodyFill === body.length) {
        this.body = undefined;
        const frame = this.toFrame(body);
        if (frame.payload.length > 0) frames.push(frame);
      }
    }
    this.consumed += n;
    return frames;
  }

  /** Body length from the completed header; 0 when an empty frame is to be skipped. */
  private parseHeader(): number {
    const h = this.headerBuf;
    let len: number;
    if (this.header === 'binary2') {
      len = (h[0]! << 8) | h[1]!;
    } else {
      len = 0;
      for (let k = 0; k < 4; k++) {
        const d = h[k]! - 0x30;
        if (d < 0 || d > 9) {
          throw new FramingError(
            'BAD_HEADER',
            'ascii4 length header is not 4 decimal digits',
            this.frameStart,
          );
        }
        len = len * 10 + d;
      }
    }
    if (len > this.maxFrameSize) {
      throw new FramingError(
        'OVERSIZE_FRAME',
        `frame of ${len} bytes exceeds the maximum ${this.maxFrameSize}`,
        this.frameStart,
      );
    }
    if (len === 0) {
      if (this.skipEmpty) return 0;
      throw new FramingError('BAD_HEADER', 'empty frame', this.frameStart);
    }
    if (this.withTpdu) {
      if (len < TPDU_SIZE) {
        throw new FramingError(
          'BAD_TPDU',
          `frame of ${len} bytes cannot hold a ${TPDU_SIZE}-byte TPDU`,
          this.frameStart,
        );
      }
      // A TPDU with no message is an empty frame too; when skipped, its 5 bytes are still read and checked.
      if (len === TPDU_SIZE && !this.skipEmpty)
        throw new FramingError('BAD_HEADER', 'empty frame', this.frameStart);
    }
    return len;
  }

  private toFrame(body: Buffer): Frame {
    if (!this.withTpdu) return { payload: body, tpdu: undefined };
    if (body[0] !== TPDU_ID) {
      throw new FramingError(
        'BAD_TPDU',
        `TPDU starts with 0x${(body[0] ?? 0).toString(16)}, expected 0x60`,
        this.frameStart,
      );
    }
    const tpdu = { destination: (body[1]! << 8) | body[2]!, source: (body[3]! << 8) | body[4]! };
    return { payload: body.subarray(TPDU_SIZE), tpdu };
  }
}
