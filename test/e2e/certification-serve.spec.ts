import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certifyCommand } from '../../src/certification/certify-cli';
import type { CertificationReport } from '../../src/domain/certification/report';
import { RestPartnerClient } from '../support/certification-partners';

/*
 * `billgate certify serve` end to end: the command starts its sandbox billgate and the lane, prints
 * where the partner connects and each instruction as it comes up, plays the suite against the
 * partner's client over real sockets, writes the report and exits 0 when every case passed.
 */

jest.setTimeout(120_000);

it('serves a certification lane, prints what to send, and writes the report', async () => {
  const out = mkdtempSync(join(tmpdir(), 'billgate-serve-'));
  const lines: string[] = [];
  let client: Promise<void> | undefined;
  const result = await certifyCommand(
    [
      'serve',
      '--suite',
      'client-rest',
      '--partner',
      'acme-cli',
      '--kind',
      'aggregator',
      '--case',
      'approve',
      '--case',
      'bill-inquiry',
      '--lane',
      'http-partners',
      '--step-timeout',
      '20000',
      '--out',
      out,
    ],
    {
      writeLine: (line) => {
        lines.push(line);
        const ready = /^certification lane ready: (.*)$/.exec(line);
        if (ready !== null) {
          const session = JSON.parse(ready[1] ?? '{}') as { endpoints: { http: string } };
          client = new RestPartnerClient(session.endpoints.http).run();
        }
      },
    },
  );
  await client;
  expect(result.output).toMatch(/PASS approve\nPASS bill-inquiry\n/);
  expect(result.code).toBe(0);
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(
        /^\[approve \/ pay\] Pay ELECTRICITY bill CERT-[0-9a-f]{16}: BDT 1250\.50 from wallet 01711000001 → send POST \/bill\/pay/,
      ),
      expect.stringMatching(/^\[bill-inquiry \/ inquire\] Ask what is due/),
    ]),
  );
  // The sandbox's API key is the partner's to use there, and shown in the session line only.
  const session = lines.find((l) => l.startsWith('certification lane ready:')) ?? '';
  expect(session).toMatch(/"apiKey":"sbx_/);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CertificationReport;
  expect(report).toMatchObject({
    direction: 'partner-client',
    partnerId: 'acme-cli',
    laneId: 'http-partners',
    result: 'passed',
    suite: { id: 'client-rest', protocol: 'rest' },
  });
  expect(JSON.stringify(report)).not.toMatch(/sbx_/);
  expect(existsSync(join(out, 'report.html'))).toBe(true);
});

it('refuses a suite that plays the partner', async () => {
  const r = await certifyCommand(['serve', '--suite', 'rest', '--partner', 'x']);
  expect(r).toEqual({
    code: 65,
    output: 'error: rest plays the partner (certify run); serve needs a role: client suite',
  });
});
