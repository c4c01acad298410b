import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import ascii87 from '../../src/protocols/iso8583/dialects/ascii87.json';
import { encodeFrame, FrameDecoder, loadDialectFile, pack, unpack } from '../../src/protocols/iso8583';
import type { Frame, UnpackedMessage } from '../../src/protocols/iso8583';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { billPayment } from '../support/iso8583-client';

/*
 * A partner's dialect file is the one source of truth for its link (issue 17): its framing
 * (conventions.framing.tpdu) is what the lane speaks without being told twice, and its decline
 * codes (conventions.responseCodes) are what field 39 says.
 */

let gw: TestGateway;
let dialectFile: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'billgate-8583-conventions-'));
  dialectFile = join(dir, 'tpdu-switch.yaml');
  writeFileSync(
    dialectFile,
    stringify({
      ...ascii87,
      name: 'tpdu-switch',
      description: 'a POS switch: ascii87 behind a TPDU, with its own decline code for an unknown account',
      conventions: {
        ...ascii87.conventions,
        framing: { lengthHeader: 'binary2', tpdu: true },
        responseCodes: { ACCOUNT_NOT_FOUND: '76' },
      },
    }),
  );
  const file = join(dir, 'billgate.yaml');
  writeFileSync(
    file,
    `
lanes:
  - id: tpdu-switch
    kind: ipsec
    protocol: iso8583
    listener: { host: 127.0.0.1, port: 0 }
    tls: off
    iso8583: { dialect: tpdu-switch.yaml }
    partners:
      - { id: demo-mfs, cidrs: [127.0.0.1/32], acquirers: ['470001'] }
      - { id: demo-bank, cidrs: [127.0.0.1/32], acquirers: ['470003'] }
`,
  );
  gw = await startTestGateway({ BILLGATE_CONFIG: file, CERTS_DIR: join(dir, 'certs') });
});
afterAll(async () => {
  await gw?.stop();
});

/** One request behind a TPDU (destination NII 003, source 017), and the frame that answers it. */
async function send(
  fields: Parameters<typeof pack>[1]['fields'],
): Promise<{ frame: Frame; answer: UnpackedMessage }> {
  const spec = loadDialectFile(dialectFile).spec;
  const socket = connect({ host: '127.0.0.1', port: gw.iso8583Ports['tpdu-switch']! });
  const decoder = new FrameDecoder({ header: 'binary2', tpdu: true, maxFrameSize: 8192 });
  try {
    return await new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('connection closed without an answer')));
      socket.on('data', (chunk) => {
        for (const frame of decoder.push(chunk)) resolve({ frame, answer: unpack(spec, frame.payload) });
      });
      socket.once('connect', () =>
        socket.write(
          encodeFrame(pack(spec, { mti: '0200', fields }), {
            header: 'binary2',
            tpdu: { destination: 0x0003, source: 0x0017 },
          }),
        ),
      );
    });
  } finally {
    socket.destroy();
  }
}

it("speaks the dialect file's TPDU framing though the lane does not repeat it", async () => {
  const { frame, answer } = await send(billPayment());
  expect(frame.tpdu).toEqual({ destination: 0x0017, source: 0x0003 });
  expect(answer.mti).toBe('0210');
  expect(answer.fields.get(39)).toBe('00');
});

it("answers with the partner's own decline code from its dialect file", async () => {
  const { answer } = await send(billPayment({ 32: '470003', 102: '1001000000077' }));
  expect(answer.fields.get(39)).toBe('76');
});
