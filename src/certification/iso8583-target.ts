import { connect, type Socket } from 'node:net';
import type { Exchange, RenderedIso8583 } from '../domain/certification/runner';
import type { RecordedMessage } from '../domain/certification/report';
import type { Observation } from '../domain/certification/template';
import {
  encodeFrame,
  FrameDecoder,
  maskedHexDump,
  pack,
  renderFieldValue,
  unpack,
  type Dialect,
  type FieldValue,
  type FieldValueInput,
  type IsoMessage,
  type LengthHeader,
} from '../protocols/iso8583';

/**
 * The harness's ISO 8583 connection, playing the partner's acquirer: packs each step in the suite's
 * dialect, frames it, and waits for the answer with the response MTI and the same STAN (or, for bytes
 * that carry none, the next frame), or for the gateway to close the connection. Reconnects after a
 * close, so a malformed-message case does not end the suite. Everything recorded is masked with the
 * gateway's own log masking.
 */
export class Iso8583Target {
  private socket: Socket | undefined;
  private waiter: ((frame: Buffer | 'closed') => void) | undefined;
  private expectKey: string | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly dialect: Dialect,
    private readonly header: LengthHeader = dialect.conventions.framing.lengthHeader,
    /** A TPDU in front of each message, as the dialect's partners usually send (the lane may differ). */
    private readonly tpdu: boolean = dialect.conventions.framing.tpdu,
  ) {}

  get description(): string {
    return `iso8583 ${this.host}:${this.port} (${this.dialect.name})`;
  }

  private async open(): Promise<Socket> {
    if (this.socket !== undefined && !this.socket.destroyed) return this.socket;
    const socket = connect({ host: this.host, port: this.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    const decoder = new FrameDecoder({ header: this.header, tpdu: this.tpdu, maxFrameSize: 65535 });
    socket.on('data', (chunk) => {
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) this.deliver(frame.payload);
    });
    const closed = (): void => {
      const w = this.waiter;
      this.waiter = undefined;
      w?.('closed');
    };
    socket.on('close', closed);
    socket.on('error', closed);
    this.socket = socket;
    return socket;
  }

  private deliver(payload: Buffer): void {
    if (this.waiter === undefined) return;
    if (this.expectKey !== undefined) {
      try {
        const m = unpack(this.dialect.spec, payload);
        if (`${m.mti}:${text(m.fields.get(11))}` !== this.expectKey) return;
      } catch {
        // An answer the harness cannot decode is still the answer; the assertions will say so.
      }
    }
    const w = this.waiter;
    this.waiter = undefined;
    w(payload);
  }

  async exchange(message: RenderedIso8583, timeoutMs: number): Promise<Exchange> {
    const spec = this.dialect.spec;
    let bytes: Buffer;
    let sentMessage: IsoMessage | undefined;
    if (message.rawHex !== undefined) {
      bytes = Buffer.from(message.rawHex.replace(/\s+/g, ''), 'hex');
    } else {
      const fields: Record<number, FieldValueInput> = {};
      for (const [k, v] of Object.entries(message.fields)) fields[Number(k)] = v;
      bytes = pack(spec, { mti: message.mti, fields });
      sentMessage = unpack(spec, bytes);
    }
    const stan = sentMessage === undefined ? undefined : text(sentMessage.fields.get(11));
    this.expectKey =
      sentMessage === undefined || stan === '' ? undefined : `${responseMti(sentMessage.mti)}:${stan}`;
    const sent = this.record(bytes, sentMessage);
    const sentView = sentMessage === undefined ? emptyView : this.view(sentMessage);
    const socket = await this.open();
    const t0 = performance.now();
    const answer = new Promise<Buffer | 'closed' | 'timeout'>((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve('timeout');
      }, timeoutMs);
      this.waiter = (frame) => {
        clearTimeout(timer);
        resolve(frame);
      };
    });
    socket.write(
      message.unframed === true
        ? bytes
        : encodeFrame(bytes, { header: this.header, ...(this.tpdu ? { tpdu: HARNESS_TPDU } : {}) }),
    );
    const got = await answer;
    const elapsedMs = Math.round(performance.now() - t0);
    if (got === 'closed' || got === 'timeout') {
      return {
        sent,
        sentView,
        connection: got === 'closed' || socket.destroyed ? 'closed' : 'open',
        elapsedMs,
        error: got === 'closed' ? 'the gateway closed the connection' : `no answer within ${timeoutMs} ms`,
      };
    }
    let received: IsoMessage | undefined;
    try {
      received = unpack(spec, got);
    } catch (error) {
      return {
        sent,
        sentView,
        received: this.record(got, undefined),
        connection: 'open',
        elapsedMs,
        error: `undecodable answer: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    return {
      sent,
      sentView,
      received: this.record(got, received),
      receivedView: this.view(received),
      connection: 'open',
      elapsedMs,
    };
  }

  private record(bytes: Buffer, m: IsoMessage | undefined): RecordedMessage {
    return recordIso8583(this.dialect, bytes, m);
  }

  private view(m: IsoMessage): Observation {
    return iso8583Observation(this.dialect, m);
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

const emptyView: Observation = { select: () => undefined };

/** A message for the report: fields rendered and the bytes dumped as the gateway's logs mask them. */
export function recordIso8583(dialect: Dialect, bytes: Buffer, m: IsoMessage | undefined): RecordedMessage {
  const hex = maskedHexDump(dialect.spec, bytes);
  if (m === undefined) return { protocol: 'iso8583', summary: `${bytes.length} bytes (not decodable)`, hex };
  const fields: Record<string, string> = { mti: m.mti };
  for (const [n, v] of m.fields) fields[String(n)] = renderFieldValue(dialect.spec, n, v);
  return { protocol: 'iso8583', summary: `${m.mti} STAN ${text(m.fields.get(11)) || '-'}`, fields, hex };
}

/** Values as the gateway's logs show them: a card number is masked even to an assertion. */
export function iso8583Observation(dialect: Dialect, m: IsoMessage): Observation {
  const render = (n: number, v: FieldValue): string => renderFieldValue(dialect.spec, n, v);
  return {
    select: (kind, expr) => {
      if (kind === 'body') return m.mti + [...m.fields].map(([n, v]) => `|${n}=${render(n, v)}`).join('');
      if (kind !== 'field') return undefined;
      if (expr === 'mti' || expr === '0') return m.mti;
      const [num, tag] = expr.split('.');
      const v = m.fields.get(Number(num));
      if (v === undefined) return undefined;
      if (tag !== undefined)
        return v instanceof Map ? (v as ReadonlyMap<string, string>).get(tag) : undefined;
      return render(Number(num), v);
    },
  };
}
/** NII 001 → 000: the harness as terminal, the gateway as host. */
const HARNESS_TPDU = { destination: 0x0001, source: 0x0000 };

export function responseMti(mti: string): string {
  const fn = Number(mti[2]);
  return `${mti.slice(0, 2)}${fn % 2 === 0 ? fn + 1 : fn}${mti[3] === '1' ? '0' : mti[3]}`;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
