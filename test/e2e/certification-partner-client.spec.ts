import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { writeReport } from '../../src/certification/certify-cli';
import { CertificationLane } from '../../src/certification/client-lane';
import { runClientSession } from '../../src/certification/client-target';
import { openSandbox, type Sandbox, type SandboxPartner } from '../../src/certification/sandbox';
import { loadSuite } from '../../src/certification/suites';
import { summarise, type CertificationReport } from '../../src/domain/certification/report';
import {
  Iso20022PartnerClient,
  Iso8583PartnerClient,
  PartnerReceiver,
  RestPartnerClient,
} from '../support/certification-partners';

/*
 * Direction 1 of issue 14: billgate plays the bank and certifies a partner's client. Per protocol, a
 * well-behaved client passes every case of its suite, and a deliberately broken one (field 7 in the
 * wrong format on its reversals, a REST client without Idempotency-Key, a pacs.008 whose CtrlSum is
 * not the sum, a webhook receiver that verifies nothing) fails exactly the cases its defect touches,
 * with the report naming the assertion. The lane runs a real sandbox billgate (its own embedded
 * database and simulators); the clients talk to it over real sockets.
 */

jest.setTimeout(300_000);

interface Open {
  sandbox: Sandbox;
  lane: CertificationLane;
}

async function openLane(suite: string, partner: SandboxPartner): Promise<Open> {
  const loaded = loadSuite(suite);
  const sandbox = await openSandbox({
    partner,
    ...(loaded.suite.protocol === 'iso8583' ? { iso8583Dialect: loaded.suite.dialect ?? 'ascii87' } : {}),
    env: { CORE_BANKING_TIMEOUT_MS: '1500' },
  });
  const lane = await CertificationLane.open({ suite: loaded, sandbox });
  return { sandbox, lane };
}

async function session(
  o: Open,
  client: { run(): Promise<void> },
  receiver: PartnerReceiver,
  inputs: Record<string, string>,
): Promise<CertificationReport> {
  await receiver.start();
  await receiver.register(o.lane.httpUrl);
  try {
    const [report] = await Promise.all([
      runClientSession(o.lane, { inputs, defaultTimeoutMs: 15_000, laneId: 'certification' }),
      client.run(),
    ]);
    return report;
  } finally {
    await receiver.stop();
  }
}

const failedCases = (r: CertificationReport): string[] =>
  r.cases.filter((c) => c.status === 'failed').map((c) => c.id);

function expectAllPassed(r: CertificationReport): void {
  if (r.result !== 'passed') console.log(summarise(r));
  expect(failedCases(r)).toEqual([]);
  expect(r.cases.every((c) => c.status === 'passed')).toBe(true);
  expect(r.direction).toBe('partner-client');
}

describe('ISO 8583: an acquirer switch', () => {
  let o: Open;
  beforeAll(async () => {
    o = await openLane('client-iso8583-ascii87', {
      id: 'acme-switch',
      kind: 'mfs',
      payerType: 'mfs-user',
      acquirer: '470099',
    });
  });
  afterAll(async () => {
    await o?.lane.close();
    await o?.sandbox.close();
  });

  it('a well-behaved client passes every case, the sandbox answering for real', async () => {
    const r = await session(o, new Iso8583PartnerClient(o.lane.httpUrl), new PartnerReceiver(true), {
      acquirer: '470099',
    });
    expectAllPassed(r);
    expect(r.partnerId).toBe('acme-switch');
    expect(r.totals).toEqual({ cases: 8, passed: 8, failed: 0, skipped: 0 });
    // The receiver verified the sandbox's genuine delivery and refused each forgery.
    const webhook = r.cases.find((c) => c.id === 'webhook-verification');
    expect(webhook?.steps.map((s) => [s.id, s.received?.summary])).toEqual([
      ['pay', expect.stringMatching(/^0200 STAN/)],
      ['reverse', expect.stringMatching(/^0400 STAN/)],
      ['genuine', expect.stringMatching(/^payment\.reversed .*: the receiver answered 204$/)],
      ['valid-copy', 'the receiver answered 204'],
      ['wrong-secret', 'the receiver answered 401'],
      ['tampered-body', 'the receiver answered 401'],
      ['stale-timestamp', 'the receiver answered 401'],
      ['unsigned', 'the receiver answered 401'],
    ]);
    // The answer the partner got is the sandbox billgate's own: 39 = 05 for the biller's decline.
    const decline = r.cases.find((c) => c.id === 'decline-biller');
    expect(decline?.steps[0]?.sent?.fields?.['39']).toBe('05');
    // The lost answer was really lost: the 0210 is recorded as withheld, and the advice reversed it.
    const lost = r.cases.find((c) => c.id === 'lost-answer-advice');
    expect(lost?.steps[0]?.sent?.summary).toMatch(/^0210 .*withheld/);
    expect(lost?.steps[1]?.sent?.fields?.mti).toBe('0430');
  });

  it('a client that writes field 7 as YYMMDDhhmm in its reversals fails exactly the reversal cases, naming field 7', async () => {
    const r = await session(
      o,
      new Iso8583PartnerClient(o.lane.httpUrl, { reversalField7: true }),
      new PartnerReceiver(true),
      { acquirer: '470099' },
    );
    expect(failedCases(r)).toEqual(['lost-answer-advice', 'reversal', 'webhook-verification']);
    for (const id of failedCases(r)) {
      expect(r.cases.find((c) => c.id === id)?.reason).toMatch(
        /: field 7 is the transmission time, MMDDhhmmss in GMT — expected MMDDhhmmss within 10 minutes of the harness's clock, got ".*not a date and time|minutes away/,
      );
    }
  });
});

describe('REST: a wallet back end', () => {
  let o: Open;
  beforeAll(async () => {
    o = await openLane('client-rest', {
      id: 'acme-wallet',
      kind: 'aggregator',
      payerType: 'wallet-aggregator',
    });
  });
  afterAll(async () => {
    await o?.lane.close();
    await o?.sandbox.close();
  });

  it('a well-behaved client passes every case', async () => {
    const r = await session(o, new RestPartnerClient(o.lane.httpUrl), new PartnerReceiver(true), {});
    expectAllPassed(r);
    // The retry after the dropped connection was answered as the first request: replayed, 201.
    const retry = r.cases.find((c) => c.id === 'lost-answer-retry')?.steps[1];
    expect(retry?.sent?.headers?.['idempotent-replayed']).toBe('true');
  });

  it('a client that omits Idempotency-Key fails every case that pays, and only those', async () => {
    const r = await session(
      o,
      new RestPartnerClient(o.lane.httpUrl, { noIdempotencyKey: true }),
      new PartnerReceiver(true),
      {},
    );
    expect(failedCases(r)).toEqual([
      'approve',
      'decline-biller',
      'lost-answer-retry',
      'read-back',
      'webhook-verification',
    ]);
    expect(r.cases.find((c) => c.id === 'bill-inquiry')?.status).toBe('passed');
    expect(r.cases.find((c) => c.id === 'approve')?.reason).toBe(
      'pay: Idempotency-Key is present (every state-changing call carries one) — expected a key of 1-255 characters, got (absent)',
    );
  });
});

describe('ISO 20022: a bank payment hub', () => {
  let o: Open;
  beforeAll(async () => {
    o = await openLane('client-iso20022', { id: 'acme-bank', kind: 'bank', payerType: 'bank-customer' });
  });
  afterAll(async () => {
    await o?.lane.close();
    await o?.sandbox.close();
  });

  it('a well-behaved client passes every case', async () => {
    const r = await session(o, new Iso20022PartnerClient(o.lane.httpUrl), new PartnerReceiver(true), {});
    expectAllPassed(r);
    const insufficient = r.cases.find((c) => c.id === 'decline-insufficient-funds')?.steps[0];
    expect(insufficient?.sent?.body).toContain('<Cd>AM04</Cd>');
  });

  it('a bad CtrlSum fails the two-bill case and a receiver that verifies nothing fails the webhook case, nothing else', async () => {
    const r = await session(
      o,
      new Iso20022PartnerClient(o.lane.httpUrl, { ctrlSumOfFirstOnly: true }),
      new PartnerReceiver(false),
      {},
    );
    expect(failedCases(r)).toEqual(['two-bills', 'webhook-verification']);
    expect(r.cases.find((c) => c.id === 'two-bills')?.reason).toBe(
      'pay: business rule CTRL_SUM_MISMATCH (AM10) — expected no problem, got "GrpHdr CtrlSum is 100.00 but the amounts add up to 350.5"',
    );
    const webhook = r.cases.find((c) => c.id === 'webhook-verification');
    expect(webhook?.reason).toBe(
      'wrong-secret: the receiver refuses a delivery signed with another secret (4xx) — expected matches /^4\\d\\d$/, got "204"',
    );
    // Every forgery was accepted, and the report shows each.
    const forged = webhook?.steps.filter((s) =>
      ['tampered-body', 'stale-timestamp', 'unsigned'].includes(s.id),
    );
    expect(forged?.map((s) => s.status)).toEqual(['not-run', 'not-run', 'not-run']);
  });

  it('writes the same report format as certify run, and serves the last report to the partner', async () => {
    const res = await request(`${o.lane.httpUrl}/certification/report`);
    const served = (await res.body.json()) as CertificationReport;
    expect(res.statusCode).toBe(200);
    expect(served.direction).toBe('partner-client');
    const dir = mkdtempSync(join(tmpdir(), 'billgate-client-report-'));
    const files = await writeReport(served, dir, undefined);
    expect(readFileSync(files.html, 'utf8')).toContain('CTRL_SUM_MISMATCH');
    expect(JSON.parse(readFileSync(files.json, 'utf8'))).toMatchObject({
      schema: 'billgate.certification-report/v1',
      partnerId: 'acme-bank',
      laneId: 'certification',
      result: 'failed',
    });
  });
});
