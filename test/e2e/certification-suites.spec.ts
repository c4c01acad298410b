import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certifyCommand } from '../../src/certification/certify-cli';
import { gatewayReportSigner } from '../../src/certification/gateway-keys';
import { loadSuite, openTarget, type TargetOptions } from '../../src/certification/suites';
import type { CertificationReport } from '../../src/domain/certification/report';
import { summarise } from '../../src/domain/certification/report';
import { runSuite } from '../../src/domain/certification/runner';
import { startTestGateway, type TestGateway } from '../support/gateway';

/*
 * The proof the issue asks for: every built-in suite, in every dialect, passes against billgate
 * itself over its real sockets; the CLI writes a signed report that verifies, and one changed byte
 * makes it fail.
 */

jest.setTimeout(180_000);

let gw: TestGateway;
let dir: string;

const ISO_LANE = (id: string, dialect: string, tpdu: boolean): string => `
  - id: ${id}
    kind: mpls
    protocol: iso8583
    listener: { host: 127.0.0.1, port: 0 }
    tls: off
    iso8583: { dialect: ${dialect}, lengthHeader: binary2, tpdu: ${tpdu} }
    partners:
      - { id: demo-mfs, cidrs: [127.0.0.1/32], acquirers: ['470001'] }`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'billgate-cert-'));
  const config = join(dir, 'billgate.yaml');
  writeFileSync(
    config,
    `lanes:
  - id: http-plain
    kind: mpls
    protocol: http
    listener: { host: 127.0.0.1, port: 0 }
    tls: off
    partners:
      - { id: demo-mfs, cidrs: [127.0.0.1/32] }
      - { id: demo-bank, cidrs: [127.0.0.1/32] }${ISO_LANE('iso8583-ascii87', 'ascii87', false)}${ISO_LANE('iso8583-iso87binary', 'iso87binary', true)}${ISO_LANE('iso8583-ebcdic87', 'ebcdic87', false)}
`,
  );
  gw = await startTestGateway({ BILLGATE_CONFIG: config, CERTS_DIR: join(dir, 'certs') });
});
afterAll(async () => {
  await gw?.stop();
});

async function play(name: string, opts: TargetOptions): Promise<CertificationReport> {
  const suite = loadSuite(name);
  const target = await openTarget(suite, opts);
  try {
    const report = await runSuite(suite, target);
    if (report.result !== 'passed') console.log(summarise(report));
    return report;
  } finally {
    target.close();
  }
}

const failed = (r: CertificationReport): string[] =>
  r.cases.filter((c) => c.status === 'failed').map((c) => `${c.id}: ${c.reason ?? ''}`);

describe('the built-in suites pass against billgate itself', () => {
  it.each(['ascii87', 'iso87binary', 'ebcdic87'])('iso8583-%s', async (dialect) => {
    const port = gw.iso8583Ports[`iso8583-${dialect}`];
    const report = await play(`iso8583-${dialect}`, {
      iso8583: `127.0.0.1:${port}`,
      http: gw.httpUrl,
      credentials: { ops: 'demo-key-ops' },
    });
    expect(failed(report)).toEqual([]);
    expect(report.result).toBe('passed');
    expect(report.suite.dialect).toBe(dialect);
    // Guarded cases are reported as skipped with the reason, never as passed.
    expect(report.cases.find((c) => c.id === 'timeout-resolution')).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('requires biller-status-inquiry'),
    });
  });

  it.each([
    ['rest', 'demo-key-demo-mfs'],
    ['iso20022', 'demo-key-demo-bank'],
  ])('%s', async (name, key) => {
    const report = await play(name, {
      http: gw.httpUrl,
      credentials: { partner: key, ops: 'demo-key-ops' },
      capabilities: ['credential-rotation'],
    });
    expect(failed(report)).toEqual([]);
    expect(report.result).toBe('passed');
  });
});

describe('billgate certify run / verify', () => {
  it('writes a signed report that verifies against the JWKS; one changed byte fails', async () => {
    const out = join(dir, 'run');
    const run = await certifyCommand(
      [
        'run',
        '--suite',
        'rest',
        '--http',
        gw.httpUrl,
        '--case',
        'approve',
        '--case',
        'missing-idempotency-key',
        '--partner',
        'demo-mfs',
        '--lane',
        'http-plain',
        '--out',
        out,
        '--sign',
      ],
      {
        signer: () => gatewayReportSigner(gw.services.database.db, gw.services.sealer, new Date()),
        env: { BILLGATE_CERTIFY_KEY: 'demo-key-demo-mfs' },
      },
    );
    expect(run.output).toMatch(
      /PASS approve\nPASS missing-idempotency-key\n.*PASSED \(2 passed, 0 failed, 0 skipped of 2\)/,
    );
    expect(run.code).toBe(0);
    const json = readFileSync(join(out, 'report.json'), 'utf8');
    // The partner's key never reaches the report; the Authorization header is shown redacted.
    expect(json).not.toContain('demo-key-demo-mfs');
    expect(json).toContain('"authorization": "[redacted]"');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain(
      'PASSED: 2 passed, 0 failed, 0 skipped of 2',
    );

    const jwks = `${gw.httpUrl}/.well-known/jwks.json`;
    const ok = await certifyCommand(['verify', join(out, 'report.json'), '--jwks', jwks]);
    expect(ok.output).toMatch(/^VALID .*report\.json: signed by \S+ — rest 1\.0\.0 passed/);
    expect(ok.code).toBe(0);

    writeFileSync(join(out, 'report.json'), json.replace('"result": "passed"', '"result": "passed" '));
    const tampered = await certifyCommand(['verify', join(out, 'report.json'), '--jwks', jwks]);
    expect(tampered).toEqual({
      code: 1,
      output: `INVALID ${join(out, 'report.json')}: signature does not match the report bytes`,
    });
  });

  it('exits non-zero when a case fails, naming the assertion', async () => {
    const out = join(dir, 'failing');
    // A partner configuration that does not match the gateway: a payer the partner may not use.
    const run = await certifyCommand([
      'run',
      '--suite',
      'rest',
      '--http',
      gw.httpUrl,
      '--key',
      'demo-key-demo-mfs',
      '--case',
      'approve',
      '--input',
      'payerKind=agentId',
      '--input',
      'payer=AGENT-001',
      '--out',
      out,
    ]);
    expect(run.code).toBe(1);
    expect(run.output).toContain(
      'FAIL approve — pay: HTTP status equals "201" — expected equals "201", got "403"',
    );
  });
});
