import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { startTestGateway, type TestGateway } from '../support/gateway';

/**
 * The `billgate` command line as a user runs it (its own process): usage errors exit 64 (EX_USAGE),
 * and `iso20022 validate` rejects what the lane rejects, with the lane's own words.
 */
const FIXTURES = join(__dirname, '../../src/protocols/iso20022/fixtures');

function billgate(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['test/support/ts-child.cjs', 'src/cli/main.ts', ...args], {
    env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('billgate usage', () => {
  it('no arguments: the usage, exit 64', async () => {
    const r = await billgate();
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^usage: billgate <command>\n/);
    expect(r.stderr).toContain('iso20022 validate <file>');
  });

  it('an unknown command: "unknown command X" and the usage, exit 64', async () => {
    const r = await billgate('frobnicate', '--now');
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^billgate: unknown command frobnicate\n\nusage: billgate <command>\n/);
    expect(r.stdout).toBe('');
  });

  it('help: the usage on stdout, exit 0', async () => {
    const r = await billgate('help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: billgate <command>\n/);
  });
});

describe('billgate iso20022 against the lane', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('validate rejects the transactions the lane rejects, with the same status and words', async () => {
    const file = join(FIXTURES, 'pain001v09-bill-payments.xml');
    const cli = await billgate('iso20022', 'validate', file);
    expect(cli.code).toBe(65);
    const said = [...cli.stderr.matchAll(/ {2}transaction (\d+): RJCT NARR (.+)/g)].map((m) => [m[1], m[2]]);
    expect(said).toEqual([
      ['2', 'Bill type PHONE is not offered'],
      ['3', 'Bill type CABLE_TV is not offered'],
    ]);

    const res = await request(`${gw.httpUrl}/iso20022/pain.001`, {
      method: 'POST',
      headers: { authorization: 'Bearer demo-key-demo-bank', 'content-type': 'application/xml' },
      body: readFileSync(file),
    });
    const answer = await res.body.text();
    expect(res.statusCode).toBe(200);
    for (const [, words] of said) {
      expect(answer).toMatch(
        new RegExp(`<TxSts>RJCT</TxSts>\\s*<StsRsnInf>[\\s\\S]*?<AddtlInf>${words}</AddtlInf>`),
      );
    }
  });

  it('inspect shows the bill type and reference each instruction maps to, from the demo catalogue', async () => {
    const r = await billgate('iso20022', 'inspect', join(FIXTURES, 'pacs008-bill-payments.xml'));
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as {
      instructions: { billType?: string; billReference: string; creditorId?: string; lane: string }[];
    };
    expect(parsed.instructions.map((i) => [i.billType, i.billReference, i.lane])).toEqual([
      ['ELECTRICITY', '0051-2026-05-00042', 'pays'],
      [
        undefined,
        'WASA bill 7788/2026-05 <meter 12>',
        'rejected: RJCT NARR Bill type unknown: no Purp/Cd, creditor WASA-DHAKA names no biller',
      ],
    ]);
  });
});
