import { connect, type Socket } from 'node:net';
import {
  encodeFrame,
  FrameDecoder,
  loadDialect,
  pack,
  unpack,
  type UnpackedMessage,
} from '../../src/protocols/iso8583';
import type { FieldValueInput } from '../../src/protocols/iso8583';

/** A partner's ISO 8583 connection over a real socket: 2-byte length header, ascii87 by default. */
export class Iso8583TestClient {
  private readonly decoder = new FrameDecoder({ header: 'binary2', maxFrameSize: 65535 });
  private readonly waiting = new Map<string, (m: UnpackedMessage) => void>();
  readonly received: Buffer[] = [];
  closed = false;
  private readonly spec;

  private constructor(
    private readonly socket: Socket,
    dialect: string,
  ) {
    this.spec = loadDialect(dialect).spec;
    socket.on('data', (chunk) => {
      for (const frame of this.decoder.push(chunk)) {
        this.received.push(frame.payload);
        const message = unpack(this.spec, frame.payload);
        const key = matchKey(message);
        const resolve = this.waiting.get(key);
        if (resolve !== undefined) {
          this.waiting.delete(key);
          resolve(message);
        }
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  static async connect(port: number, dialect = 'ascii87'): Promise<Iso8583TestClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new Iso8583TestClient(socket, dialect);
  }

  /** Sends a message and resolves with the answer carrying the same STAN (and response MTI). */
  request(
    mti: string,
    fields: Record<number, FieldValueInput>,
    timeoutMs = 10_000,
  ): Promise<UnpackedMessage> {
    const bytes = pack(this.spec, { mti, fields });
    const key = `${responseMti(mti)}:${text(fields[11])}`;
    const answer = new Promise<UnpackedMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`no answer to ${mti} STAN ${text(fields[11])}`));
      }, timeoutMs);
      this.waiting.set(key, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
    this.socket.write(encodeFrame(bytes, { header: 'binary2' }));
    return answer;
  }

  /**
   * Waits for the answer with this response MTI and STAN without sending anything, for requests a
   * test writes itself (split across chunks with writeRaw, say).
   */
  awaitAnswer(responseMti: string, stan: string, timeoutMs = 10_000): Promise<UnpackedMessage> {
    const key = `${responseMti}:${stan}`;
    return new Promise<UnpackedMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`no ${responseMti} with STAN ${stan}`));
      }, timeoutMs);
      this.waiting.set(key, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  async waitClosed(timeoutMs = 3000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

function responseMti(mti: string): string {
  return `${mti.slice(0, 2)}${Number(mti[2]) + (Number(mti[2]) % 2 === 0 ? 1 : 0)}0`;
}

function matchKey(m: UnpackedMessage): string {
  return `${m.mti}:${text(m.fields.get(11))}`;
}

let stan = 100000;
export function nextStan(): string {
  stan = stan >= 999999 ? 100001 : stan + 1;
  return String(stan);
}

export function transmissionTime(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
}

export function billPayment(
  overrides: Record<number, FieldValueInput> = {},
): Record<number, FieldValueInput> {
  const s = nextStan();
  return {
    3: '500000',
    4: '000000125050',
    7: transmissionTime(),
    11: s,
    12: '103000',
    13: '1123',
    32: '470001',
    37: `RRN${s.padStart(9, '0')}`,
    41: 'TERM0001',
    42: 'MERCHANT0000001',
    48: { '01': 'ELECTRICITY', '02': `DESCO-${s}` },
    49: '050',
    102: '01711000001',
    ...overrides,
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
