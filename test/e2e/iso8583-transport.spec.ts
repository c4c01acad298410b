import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/infrastructure/logging/logger';
import {
  encodeFrame,
  FrameDecoder,
  loadDialect,
  pack,
  unpack,
  type LengthHeader,
  type Tpdu,
} from '../../src/protocols/iso8583';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { billPayment, Iso8583TestClient, nextStan, transmissionTime } from '../support/iso8583-client';

/**
 * The ISO 8583 transport under a whole gateway, over real sockets, on lanes configured the way an
 * operator would (BILLGATE_CONFIG): a short incomplete-frame timeout, a 4-byte ASCII length header,
 * a TPDU. The biller simulator holds SLOW references for SLOW_MS: far longer than a plain payment
 * takes, and well inside the demo billers' 1.5 s timeout, past which the payment would turn pending.
 */
const INCOMPLETE_FRAME_TIMEOUT_MS = 1000;
const SLOW_MS = 800;
const spec = loadDialect('ascii87').spec;

let gw: TestGateway;
let dir: string;
const logLines: Record<string, unknown>[] = [];
const clients: Iso8583TestClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'billgate-8583-transport-'));
  const file = join(dir, 'billgate.yaml');
  const partners = `
    partners:
      - { id: demo-mfs, cidrs: [127.0.0.1/32], acquirers: ['470001'] }`;
  writeFileSync(
    file,
    `
lanes:
  - id: plain
    kind: mpls
    protocol: http
    listener: { host: 127.0.0.1, port: 0 }
    tls: off
    partners:
      - { id: demo-mfs, cidrs: [127.0.0.1/32] }
  - id: switch-short
    kind: mpls
    protocol: iso8583
    listener: { host: 127.0.0.1, port: 0 }
    tls: off${partners}
    iso8583: { incompleteFrameTimeoutMs: ${INCOMPLETE_FRAME_TIMEOUT_MS} }
  - id: switch-ascii4
    kind: mpls
    protocol: iso8583
    listener: { host: 127.0.0.1, port: 0 }
    tls: off${partners}
    iso8583: { lengthHeader: ascii4 }
  - id: switch-tpdu
    kind: mpls
    protocol: iso8583
    listener: { host: 127.0.0.1, port: 0 }
    tls: off${partners}
    iso8583: { tpdu: true }
`,
  );
  gw = await startTestGateway(
    { BILLGATE_CONFIG: file },
    {
      logger: createLogger('warn', { write: (line: string) => void logLines.push(JSON.parse(line)) }),
      billerSimulator: { slowMs: SLOW_MS, hangMs: 5_000 },
    },
  );
});

afterAll(async () => {
  for (const c of clients) c.close();
  await gw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function client(lane = 'switch-short'): Promise<Iso8583TestClient> {
  const c = await Iso8583TestClient.connect(gw.iso8583Ports[lane]!);
  clients.push(c);
  return c;
}

function echo(): Record<number, string> {
  return { 7: transmissionTime(), 11: nextStan(), 70: '301' };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function eventually(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe(`incomplete-frame timeout (${INCOMPLETE_FRAME_TIMEOUT_MS} ms on the lane)`, () => {
  it('keeps a busy partner whose chunks never line up with its frames, and answers every request', async () => {
    const c = await client();
    const requests = Array.from({ length: 60 }, () => echo());
    const frames = requests.map((fields) =>
      encodeFrame(pack(spec, { mti: '0800', fields }), { header: 'binary2' }),
    );
    const size = frames[0]!.length;
    expect(frames.every((f) => f.length === size)).toBe(true);
    const answers = Promise.all(requests.map((r) => c.awaitAnswer('0810', r[11]!)));

    // About one and a half frames per chunk, each chunk ending a quarter or three quarters into a
    // frame: every chunk completes a frame and starts another, so a frame is always incomplete.
    const stream = Buffer.concat(frames);
    const began = Date.now();
    let start = 0;
    for (let k = 0; start < stream.length; k++) {
      const cut = Math.min(stream.length, Math.round((k * 1.5 + 0.25) * size));
      if (cut < stream.length) expect(cut % size).not.toBe(0);
      c.writeRaw(stream.subarray(start, cut));
      start = cut;
      await sleep(50);
      expect(c.closed).toBe(false);
    }
    expect(Date.now() - began).toBeGreaterThan(2 * INCOMPLETE_FRAME_TIMEOUT_MS);

    const results = await answers;
    expect(results.map((m) => m.fields.get(39))).toEqual(requests.map(() => '00'));
    expect(c.closed).toBe(false);
  });

  it('disconnects a partner that sends half a frame and stops; other connections go on', async () => {
    logLines.length = 0;
    const bystander = await client();
    expect((await bystander.request('0800', echo())).fields.get(39)).toBe('00');
    const stuck = await client();
    const half = encodeFrame(pack(spec, { mti: '0800', fields: echo() }), { header: 'binary2' });
    const began = Date.now();
    stuck.writeRaw(half.subarray(0, Math.floor(half.length / 2)));
    expect(await stuck.waitClosed(INCOMPLETE_FRAME_TIMEOUT_MS + 5000)).toBe(true);
    expect(Date.now() - began).toBeGreaterThanOrEqual(INCOMPLETE_FRAME_TIMEOUT_MS - 20);
    expect(stuck.received).toHaveLength(0);
    expect(logLines.some((l) => l.msg === 'incomplete frame timed out; closing')).toBe(true);

    const paid = await bystander.request('0200', billPayment());
    expect(paid.fields.get(39)).toBe('00');
    expect(bystander.closed).toBe(false);
  });
});

describe('one connection', () => {
  it('answers out of order: a quick payment overtakes a SLOW one sent before it', async () => {
    const c = await client();
    const order: string[] = [];
    const slowReq = billPayment({ 48: { '01': 'WATER', '02': 'SLOW-order' } });
    const fastReq = billPayment();
    const slow = c.request('0200', slowReq).then((m) => (order.push('slow'), m));
    const fast = c.request('0200', fastReq).then((m) => (order.push('fast'), m));
    const [slowRes, fastRes] = await Promise.all([slow, fast]);
    expect(order).toEqual(['fast', 'slow']);
    expect(fastRes.fields.get(11)).toBe(fastReq[11]);
    expect(slowRes.fields.get(11)).toBe(slowReq[11]);
    expect([slowRes.fields.get(39), fastRes.fields.get(39)]).toEqual(['00', '00']);
  });

  it('keeps an idle connection longer than the incomplete-frame timeout and answers an echo on it', async () => {
    const c = await client();
    await sleep(2.5 * INCOMPLETE_FRAME_TIMEOUT_MS);
    expect(c.closed).toBe(false);
    const res = await c.request('0800', echo());
    expect(res.mti).toBe('0810');
    expect(res.fields.get(39)).toBe('00');
  });

  it('an undecodable frame lets the SLOW payment in flight answer, then closes the connection', async () => {
    logLines.length = 0;
    const c = await client();
    const paying = c.request('0200', billPayment({ 48: { '01': 'WATER', '02': 'SLOW-drain' } }));
    // MTI 0200 and half a bitmap: nothing the partner could match an answer to.
    c.writeRaw(Buffer.from([0x00, 0x08, 0x30, 0x32, 0x30, 0x30, 0xff, 0xff, 0xff, 0xff]));
    await eventually(() => logLines.some((l) => l.msg === 'closing peer'), 'the close to be logged');
    // Sent after the server gave up on the connection: it must not be read, let alone answered.
    c.writeRaw(encodeFrame(pack(spec, { mti: '0800', fields: echo() }), { header: 'binary2' }));

    const res = await paying;
    expect(c.closed).toBe(false);
    expect(res.mti).toBe('0210');
    expect(res.fields.get(39)).toBe('00');
    expect(await c.waitClosed()).toBe(true);
    expect(c.received).toHaveLength(1);
    expect(logLines.find((l) => l.msg === 'closing peer')).toMatchObject({
      lane: 'switch-short',
      reason: 'undecodable frame',
    });
  });
});

/** One request on a fresh connection; resolves with every byte received up to the first whole frame. */
async function exchange(port: number, header: LengthHeader, payload: Buffer, tpdu?: Tpdu): Promise<Buffer> {
  const socket = connect({ host: '127.0.0.1', port });
  const decoder = new FrameDecoder({ header, tpdu: tpdu !== undefined, maxFrameSize: 65535 });
  const received: Buffer[] = [];
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        if (decoder.push(chunk).length > 0) resolve(Buffer.concat(received));
      });
      socket.on('error', reject);
      socket.on('close', () => reject(new Error('closed before an answer')));
      socket.on('connect', () => socket.write(encodeFrame(payload, { header, tpdu })));
    });
  } finally {
    socket.destroy();
  }
}

describe('framings', () => {
  it('a 4-byte ASCII length header: read on the request, written on the answer', async () => {
    const req = billPayment();
    const raw = await exchange(
      gw.iso8583Ports['switch-ascii4']!,
      'ascii4',
      pack(spec, { mti: '0200', fields: req }),
    );
    expect(raw.subarray(0, 4).toString('latin1')).toBe(String(raw.length - 4).padStart(4, '0'));
    const res = unpack(spec, raw.subarray(4));
    expect(res.mti).toBe('0210');
    expect(res.fields.get(11)).toBe(req[11]);
    expect(res.fields.get(39)).toBe('00');
  });

  it('a TPDU: the answer carries it back with source and destination swapped', async () => {
    const req = billPayment();
    const raw = await exchange(
      gw.iso8583Ports['switch-tpdu']!,
      'binary2',
      pack(spec, { mti: '0200', fields: req }),
      { destination: 0x0003, source: 0x0107 },
    );
    expect(raw.readUInt16BE(0)).toBe(raw.length - 2);
    expect([...raw.subarray(2, 7)]).toEqual([0x60, 0x01, 0x07, 0x00, 0x03]);
    const res = unpack(spec, raw.subarray(7));
    expect(res.mti).toBe('0210');
    expect(res.fields.get(11)).toBe(req[11]);
    expect(res.fields.get(39)).toBe('00');
  });
});
