import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { encodeFrame, FrameDecoder, loadDialect, pack, unpack } from '../../src/protocols/iso8583';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { billPayment, nextStan, transmissionTime } from '../support/iso8583-client';

/** An ISO 8583 lane with mutual TLS: a partner's client certificate is required at the handshake. */
let gw: TestGateway;
let certs: string;
const spec = loadDialect('ascii87').spec;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'billgate-8583-tls-'));
  certs = join(dir, 'certs');
  const file = join(dir, 'billgate.yaml');
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
  - id: switch-tls
    kind: ipsec
    protocol: iso8583
    listener: { host: 127.0.0.1, port: 0 }
    tls: mutual
    partners:
      - { id: demo-mfs, cidrs: [127.0.0.1/32], acquirers: ['470001'] }
      - { id: demo-fintech, cidrs: [127.0.0.1/32], acquirers: ['470009'] }
`,
  );
  gw = await startTestGateway({ BILLGATE_CONFIG: file, CERTS_DIR: certs });
});
afterAll(async () => {
  await gw?.stop();
});

function exchange(
  withCertificate: boolean,
  message: { mti: string; fields: Parameters<typeof pack>[1]['fields'] } = {
    mti: '0800',
    fields: { 7: transmissionTime(), 11: nextStan(), 70: '301' },
  },
): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port: gw.iso8583Ports['switch-tls']!,
      servername: 'localhost',
      ca: readFileSync(join(certs, 'ca.crt')),
      ...(withCertificate
        ? {
            cert: readFileSync(join(certs, 'partners', 'demo-fintech.crt')),
            key: readFileSync(join(certs, 'partners', 'demo-fintech.key')),
          }
        : {}),
    });
    const decoder = new FrameDecoder({ header: 'binary2', maxFrameSize: 8192 });
    socket.on('secureConnect', () => {
      socket.write(encodeFrame(pack(spec, message), { header: 'binary2' }));
    });
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const m = unpack(spec, frame.payload);
        resolve(`${m.mti} ${m.fields.get(39) as string}`);
        socket.destroy();
      }
    });
    socket.on('error', () => resolve('refused'));
    socket.on('close', () => resolve('refused'));
  });
}

it('answers an echo over mutual TLS with a client certificate from the trusted CA', async () => {
  expect(await exchange(true)).toBe('0810 00');
});

it('refuses the handshake without a client certificate', async () => {
  expect(await exchange(false)).toBe('refused');
});

it('pays for the partner its certificate is registered to, and never for another partner on the lane', async () => {
  const float = async (id: string): Promise<bigint> =>
    (await gw.services.ledger.balanceOf(gw.services.database.db, `float:${id}:BDT`))!;
  const mfsBefore = await float('demo-mfs');
  // demo-fintech's own acquirer: its certificate entitles it.
  expect(await exchange(true, { mti: '0200', fields: billPayment({ 32: '470009' }) })).toBe('0210 00');
  // demo-mfs's acquirer from the same address, but with demo-fintech's certificate: refused.
  expect(await exchange(true, { mti: '0200', fields: billPayment({ 32: '470001' }) })).toBe('0210 03');
  expect(await float('demo-mfs')).toBe(mfsBefore);
});
