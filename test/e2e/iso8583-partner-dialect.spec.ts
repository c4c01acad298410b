import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import ascii87 from '../../src/protocols/iso8583/dialects/ascii87.json';
import { encodeFrame, FrameDecoder, loadDialectFile, pack, unpack } from '../../src/protocols/iso8583';
import type { UnpackedMessage } from '../../src/protocols/iso8583';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { billPayment, nextStan, transmissionTime } from '../support/iso8583-client';

/*
 * Onboarding a switch with its own message layout is a file, not a release: the lane names a YAML
 * dialect beside the configuration (hex bitmap, its own echo code) and a 4-byte ASCII length header.
 */

let gw: TestGateway;
let dialectFile: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'billgate-8583-dialect-'));
  dialectFile = join(dir, 'partner-switch.yaml');
  writeFileSync(
    dialectFile,
    stringify({
      ...ascii87,
      name: 'partner-switch',
      description: 'a partner switch: ASCII 1987 with a hex bitmap and echo code 831',
      bitmap: { encoding: 'hex' },
      conventions: {
        ...ascii87.conventions,
        networkManagement: { ...ascii87.conventions.networkManagement, echo: '831' },
        framing: { lengthHeader: 'ascii4', tpdu: false },
      },
    }),
  );
  const file = join(dir, 'billgate.yaml');
  writeFileSync(
    file,
    `
lanes:
  - id: partner-switch
    kind: ipsec
    protocol: iso8583
    listener: { host: 127.0.0.1, port: 0 }
    tls: off
    iso8583: { dialect: partner-switch.yaml, lengthHeader: ascii4 }
    partners:
      - { id: demo-mfs, cidrs: [127.0.0.1/32], acquirers: ['470001'] }
`,
  );
  gw = await startTestGateway({ BILLGATE_CONFIG: file, CERTS_DIR: join(dir, 'certs') });
});
afterAll(async () => {
  await gw?.stop();
});

function exchange(socket: Socket, bytes: Buffer): Promise<UnpackedMessage> {
  const spec = loadDialectFile(dialectFile).spec;
  const decoder = new FrameDecoder({ header: 'ascii4', maxFrameSize: 8192 });
  return new Promise((resolve, reject) => {
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) resolve(unpack(spec, frame.payload));
    });
    socket.once('error', reject);
    socket.write(encodeFrame(bytes, { header: 'ascii4' }));
  });
}

async function send(mti: string, fields: Parameters<typeof pack>[1]['fields']): Promise<UnpackedMessage> {
  const spec = loadDialectFile(dialectFile).spec;
  const socket = connect({ host: '127.0.0.1', port: gw.iso8583Ports['partner-switch']! });
  await new Promise((r) => socket.once('connect', r));
  try {
    return await exchange(socket, pack(spec, { mti, fields }));
  } finally {
    socket.destroy();
  }
}

it('pays a bill in the partner dialect over a 4-byte ASCII length header', async () => {
  const spec = loadDialectFile(dialectFile).spec;
  const req = billPayment();
  const bytes = pack(spec, { mti: '0200', fields: req });
  // The hex bitmap is what sets this dialect apart from the demo's: 16 hex characters after the MTI.
  expect(bytes.subarray(4, 20).toString('latin1')).toMatch(/^[0-9A-F]{16}$/);
  const res = await send('0200', req);
  expect(res.mti).toBe('0210');
  expect(res.fields.get(39)).toBe('00');
  expect(res.fields.get(11)).toBe(req[11]);
});

it("answers the partner's own echo code, and refuses the demo dialect's", async () => {
  const own = await send('0800', { 7: transmissionTime(), 11: nextStan(), 70: '831' });
  expect(own.fields.get(39)).toBe('00');
  const other = await send('0800', { 7: transmissionTime(), 11: nextStan(), 70: '301' });
  expect(other.fields.get(39)).toBe('12');
});
