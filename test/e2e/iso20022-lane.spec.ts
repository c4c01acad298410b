import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Iso20022Engine, type StatusReport } from '../../src/protocols/iso20022';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call, type HttpAnswer } from '../support/http';
import {
  camt056,
  normaliseAnswer,
  pacs004,
  pacs008,
  pain001v09,
  type CreditTransferTx,
} from '../support/iso20022-messages';
import { BANK } from '../support/payments';

const RICH = '1001000000001';
const POOR = '1001000000002'; // BDT 10.00
const GOLDEN = join(__dirname, 'iso20022-golden');
const FIXTURES = join(__dirname, '..', '..', 'src', 'protocols', 'iso20022', 'fixtures');

let gw: TestGateway;
let engine: Iso20022Engine;
beforeAll(async () => {
  [gw, engine] = await Promise.all([startTestGateway(), Iso20022Engine.create()]);
});
afterAll(async () => {
  engine?.dispose();
  await gw?.stop();
});

function post(endpoint: string, xml: string, key: string | null = BANK): Promise<HttpAnswer> {
  return call(gw.httpUrl, 'POST', `/iso20022/${endpoint}`, {
    ...(key === null ? {} : { key }),
    rawBody: xml,
    headers: { 'content-type': 'application/xml' },
  });
}

/** Reads a pacs.002 / pain.002 answer back with the engine: it must be valid against its XSD. */
function report(res: HttpAnswer): StatusReport {
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/xml/);
  const received = engine.receive(res.text);
  if (!received.ok) throw new Error(`answer is not a valid message: ${JSON.stringify(received.failure)}`);
  return received.message.document as StatusReport;
}

function statuses(r: StatusReport): [string | undefined, string | undefined, string | undefined][] {
  return r.transactions.map((t) => [t.orgnlEndToEndId, t.status, t.reasons[0]?.code]);
}

/**
 * A golden answer: compared with test/e2e/iso20022-golden/<name>. UPDATE_GOLDEN=1 (re)writes it; a
 * missing golden file is a failure otherwise, so deleting one cannot make its test pass.
 */
function expectGolden(name: string, xml: string): void {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, normaliseAnswer(xml));
  }
  expect(existsSync(file)).toBe(true);
  expect(normaliseAnswer(xml)).toBe(readFileSync(file, 'utf8'));
}

const cbs = (account: string): bigint => gw.simulators.coreBanking!.balance(account)!;

async function ledgerBalance(account: string): Promise<bigint> {
  return (await gw.services.ledger.balanceOf(gw.services.database.db, account))!;
}

async function paymentsOf(partnerReference: string): Promise<{ id: string; state: string }[]> {
  return gw.services.payments.findByPartnerReference(gw.services.database.db, 'demo-bank', partnerReference);
}

async function paymentCount(): Promise<number> {
  const { rows } = await sql<{ n: bigint }>`select count(*) as n from payments`.execute(
    gw.services.database.db,
  );
  return Number(rows[0]?.n ?? 0);
}

const uid = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

function electricity(overrides: Partial<CreditTransferTx> = {}): CreditTransferTx {
  return {
    endToEndId: uid('E2E'),
    amount: '1250.50',
    account: RICH,
    purpose: 'ELEC',
    reference: 'DESCO-1002003',
    ...overrides,
  };
}

describe('POST /iso20022/pacs.008', () => {
  it('golden: approves one payment end to end and rejects one for insufficient funds (AM04), AppHdr echoed', async () => {
    const request = readFileSync(join(GOLDEN, 'pacs008-request.xml'), 'utf8');
    const settlement = await ledgerBalance('settlement:ELECTRICITY:BDT');
    const [rich, poor] = [cbs(RICH), cbs(POOR)];

    const res = await post('pacs.008', request);
    expectGolden('pacs008-answer.xml', res.text);
    const r = report(res);
    expect(r.groupStatus).toBe('PART');
    expect(statuses(r)).toEqual([
      ['GOLDEN-E2E-0001', 'ACSC', undefined],
      ['GOLDEN-E2E-0002', 'RJCT', 'AM04'],
    ]);

    // Ledger moved, core banking debited, biller paid: for the approved payment only.
    expect(cbs(RICH)).toBe(rich - 245010n);
    expect(cbs(POOR)).toBe(poor);
    expect(await ledgerBalance('settlement:ELECTRICITY:BDT')).toBe(settlement + 245010n);
    const [paid] = await paymentsOf('GOLDEN-E2E-0001');
    expect(paid?.state).toBe('APPROVED');
    expect(gw.simulators.biller!.paidBill(paid!.id)).toMatchObject({
      billReference: '0051-2026-05-00042',
      amountMinor: '245010',
    });
    expect((await paymentsOf('GOLDEN-E2E-0002'))[0]?.state).toBe('DECLINED');
  });

  it('answers ACSP while the biller has not answered (TIMEOUT reference)', async () => {
    const r = report(await post('pacs.008', pacs008(uid('MSG'), [electricity({ reference: 'TIMEOUT-1' })])));
    expect(r.groupStatus).toBe('ACCP');
    expect(r.transactions[0]).toMatchObject({ status: 'ACSP', reasons: [{ code: 'NARR' }] });
  });

  it.each([
    ['biller decline', { reference: 'DECLINE-1' }, 'NARR'],
    ['unknown bill', { reference: 'UNKNOWN-1' }, 'NARR'],
    ['insufficient funds', { account: POOR, amount: '10.01' }, 'AM04'],
    ['blocked account', { account: '1001000000003' }, 'AC06'],
    ['unknown account', { account: '1001999999999' }, 'AC01'],
    ['no debtor account', { account: undefined }, 'RR01'],
    ['bill type that names no biller', { purpose: undefined, creditorId: 'NOBODY' }, 'NARR'],
    ['bill type not offered (PHON)', { purpose: 'PHON' }, 'NARR'],
    ['three decimals in BDT', { amount: '10.001' }, 'AM12'],
  ])('%s is RJCT %s', async (_name, overrides, _code) => {
    const before = await paymentCount();
    const r = report(await post('pacs.008', pacs008(uid('MSG'), [electricity(overrides)])));
    expect(r.groupStatus).toBe('RJCT');
    expect(r.transactions[0]?.status).toBe('RJCT');
    expect(r.transactions[0]?.reasons[0]?.additionalInfo).toBeTruthy();
    expect(r.transactions[0]?.reasons[0]?.code).toBe(_code);
    const posted = [
      'biller decline',
      'unknown bill',
      'insufficient funds',
      'blocked account',
      'unknown account',
    ];
    expect(await paymentCount()).toBe(before + (posted.includes(_name) ? 1 : 0));
  });

  it('takes the bill type from the creditor identification when no purpose code says it', async () => {
    const e2e = uid('E2E');
    const r = report(
      await post(
        'pacs.008',
        pacs008(uid('MSG'), [
          electricity({
            endToEndId: e2e,
            purpose: undefined,
            creditorId: 'sim-water',
            reference: undefined,
            ustrd: 'WASA 7788',
          }),
        ]),
      ),
    );
    expect(r.transactions[0]?.status).toBe('ACSC');
    const [p] = await gw.services.payments.findByPartnerReference(gw.services.database.db, 'demo-bank', e2e);
    expect(p).toMatchObject({ billType: 'WATER', billReference: 'WASA 7788', payerType: 'bank-customer' });
  });

  it('a duplicate message gets the identical status report and is posted once', async () => {
    const tx = electricity({ uetr: randomUUID() });
    const xml = pacs008(uid('MSG'), [tx], { appHdr: true });
    const first = await post('pacs.008', xml);
    const balance = cbs(RICH);
    const second = await post('pacs.008', xml);
    expect(second.text).toBe(first.text);
    expect(report(second).transactions[0]?.status).toBe('ACSC');
    expect(cbs(RICH)).toBe(balance);
    expect(await paymentsOf(tx.endToEndId)).toHaveLength(1);
  });

  it('the same ids with a different amount are RJCT DUPL and not posted', async () => {
    const msgId = uid('MSG');
    const tx = electricity();
    expect(report(await post('pacs.008', pacs008(msgId, [tx]))).transactions[0]?.status).toBe('ACSC');
    const balance = cbs(RICH);
    const r = report(await post('pacs.008', pacs008(msgId, [{ ...tx, amount: '1250.51' }])));
    expect(r.transactions[0]).toMatchObject({ status: 'RJCT', reasons: [{ code: 'DUPL' }] });
    expect(cbs(RICH)).toBe(balance);
    expect(await paymentsOf(tx.endToEndId)).toHaveLength(1);
  });

  it('the same UETR is the same payment whatever the MsgId: replayed, not posted twice', async () => {
    const tx = electricity({ uetr: randomUUID() });
    await post('pacs.008', pacs008(uid('MSG'), [tx]));
    const balance = cbs(RICH);
    const r = report(await post('pacs.008', pacs008(uid('MSG'), [tx])));
    expect(r.transactions[0]?.status).toBe('ACSC');
    expect(cbs(RICH)).toBe(balance);
  });

  it('a message with a wrong NbOfTxs is rejected as a whole and nothing is posted', async () => {
    const before = await paymentCount();
    const r = report(await post('pacs.008', pacs008(uid('MSG'), [electricity()], { nbOfTxs: 2 })));
    expect(r.groupStatus).toBe('RJCT');
    expect(r.transactions).toHaveLength(0);
    expect(await paymentCount()).toBe(before);
  });

  it('golden: an XSD-invalid message gets RJCT FF01 naming the first error; nothing posted', async () => {
    const before = await paymentCount();
    const xml = pacs008('INVALID-MSG-0001', [
      electricity({ endToEndId: 'E2E-INVALID', chargeBearer: 'XXXX' }),
    ]);
    const res = await post('pacs.008', xml);
    expectGolden('pacs008-invalid-answer.xml', res.text);
    const r = report(res);
    expect(r).toMatchObject({ originalMsgId: 'INVALID-MSG-0001', groupStatus: 'RJCT', transactions: [] });
    expect(r.groupReasons[0]?.code).toBe('FF01');
    expect(r.groupReasons[0]?.additionalInfo?.[0]).toMatch(/^Line \d+: Element 'ChrgBr'/);
    expect(await paymentCount()).toBe(before);
  });

  it('an XSD-invalid message without a readable MsgId is 400 problem+json', async () => {
    const xml = pacs008('X', [electricity()]).replace('<MsgId>X</MsgId>', '');
    const res = await post('pacs.008', xml);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: expect.stringMatching(/iso20022-schema-invalid$/) });
  });

  it('refuses a pain.001 posted to the pacs.008 endpoint', async () => {
    const res = await post(
      'pacs.008',
      pain001v09(uid('MSG'), [{ pmtInfId: 'PI-1', account: RICH, txs: [electricity()] }]),
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      type: expect.stringMatching(/iso20022-wrong-message-type$/),
      detail: 'POST /iso20022/pacs.008 accepts pacs.008.001.08, not pain.001.001.09',
    });
  });

  it('needs the partner credential and an XML body', async () => {
    const xml = pacs008(uid('MSG'), [electricity()]);
    expect((await post('pacs.008', xml, null)).status).toBe(401);
    const json = await call(gw.httpUrl, 'POST', '/iso20022/pacs.008', { key: BANK, body: { xml } });
    expect(json.status).toBe(415);
  });
});

describe('POST /iso20022/pain.001', () => {
  it('golden: a batch with one failing transaction is PART with every transaction status', async () => {
    const before = await paymentCount();
    const request = readFileSync(join(GOLDEN, 'pain001-request.xml'), 'utf8');
    const res = await post('pain.001', request);
    expectGolden('pain001-answer.xml', res.text);
    const r = report(res);
    expect(r.type).toBe('pain.002.001.10');
    expect(r.groupStatus).toBe('PART');
    expect(r.paymentInformation).toEqual([
      { pmtInfId: 'GOLDEN-PI-01', status: 'PART' },
      { pmtInfId: 'GOLDEN-PI-02', status: 'ACCP' },
    ]);
    expect(statuses(r)).toEqual([
      ['GOLDEN-GAS-0001', 'ACSC', undefined],
      ['GOLDEN-ELEC-0002', 'RJCT', 'NARR'],
      ['GOLDEN-WTER-0003', 'ACSC', undefined],
    ]);
    expect(await paymentCount()).toBe(before + 3);
  });

  it('accepts pain.001.001.03 (bill type from the creditor identification)', async () => {
    const xml = readFileSync(join(FIXTURES, 'pain001v03-bill-payment.xml'), 'utf8')
      .replace('000111222333', RICH)
      .replace('WASA-DHAKA', 'sim-water');
    const r = report(await post('pain.001', xml));
    expect(r).toMatchObject({
      type: 'pain.002.001.10',
      originalMsgNmId: 'pain.001.001.03',
      groupStatus: 'ACCP',
    });
    expect(statuses(r)).toEqual([['000000000000777', 'ACSC', undefined]]);
  });

  it('a transaction with a business problem is RJCT and not posted; the others go on', async () => {
    const before = await paymentCount();
    const r = report(
      await post(
        'pain.001',
        pain001v09(uid('MSG'), [
          {
            pmtInfId: 'PI-A',
            account: RICH,
            txs: [electricity({ amount: '1.001' }), electricity({ amount: '2.00' })],
          },
        ]),
      ),
    );
    expect(r.groupStatus).toBe('PART');
    expect(r.transactions.map((t) => t.status)).toEqual(['RJCT', 'ACSC']);
    expect(await paymentCount()).toBe(before + 1);
  });
});

describe('hostile XML over HTTP is refused quickly with a clear error, nothing posted', () => {
  const NS = 'urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08';
  let laughs = '<!ENTITY lol0 "lol">';
  for (let i = 1; i <= 9; i += 1) laughs += `<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`;
  const corpus: [string, string, number, RegExp][] = [
    [
      'external entity (file:///etc/passwd)',
      `<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document xmlns="${NS}"><FIToFICstmrCdtTrf><GrpHdr><MsgId>&x;</MsgId></GrpHdr></FIToFICstmrCdtTrf></Document>`,
      400,
      /iso20022-refused$/,
    ],
    [
      'billion laughs',
      `<?xml version="1.0"?><!DOCTYPE Document [${laughs}]><Document xmlns="${NS}">&lol9;</Document>`,
      400,
      /iso20022-refused$/,
    ],
    [
      'deep nesting (100 000 levels)',
      '<a>'.repeat(100_000) + '</a>'.repeat(100_000),
      400,
      /iso20022-malformed$/,
    ],
    [
      'huge attribute (900 KB)',
      `<Document xmlns="${NS}" a="${'y'.repeat(900 * 1024)}"/>`,
      400,
      /iso20022-schema-invalid$/,
    ],
    [
      'oversized body (2 MiB)',
      `<Document xmlns="${NS}">${' '.repeat(2 * 1024 * 1024)}</Document>`,
      413,
      /body-too-large$/,
    ],
    [
      'UTF-16',
      Buffer.from(`<?xml version="1.0" encoding="UTF-16"?><Document xmlns="${NS}"/>`, 'utf16le').toString(
        'latin1',
      ),
      400,
      /iso20022-refused$/,
    ],
    ['not XML at all', 'hello', 400, /iso20022-(refused|malformed)$/],
  ];

  it.each(corpus)('%s', async (_name, body, status, type) => {
    const before = await paymentCount();
    const t0 = performance.now();
    const res = await post('pacs.008', body);
    const ms = performance.now() - t0;
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: expect.stringMatching(type), title: expect.any(String) });
    expect(res.text).not.toMatch(/root:|daemon:|\/bin\/(ba)?sh/);
    expect(ms).toBeLessThan(2000);
    expect(await paymentCount()).toBe(before);
  });
});

describe('returns (pacs.004) and cancellations (camt.056)', () => {
  async function approved(tx: CreditTransferTx): Promise<{ msgId: string; paymentId: string }> {
    const msgId = uid('MSG');
    const r = report(await post('pacs.008', pacs008(msgId, [tx])));
    expect(r.transactions[0]?.status).toBe('ACSC');
    const [p] = await paymentsOf(tx.endToEndId);
    return { msgId, paymentId: p!.id };
  }

  it('pacs.004 reverses an approved payment in the ledger and at the biller; a repeat is answered alike', async () => {
    const tx = electricity({ amount: '300.00' });
    const { msgId, paymentId } = await approved(tx);
    const balance = cbs(RICH);
    const xml = pacs004(uid('RTR'), 'RTR-1', { msgId, endToEndId: tx.endToEndId }, '300.00');
    const r = report(await post('pacs.004', xml));
    expect(r).toMatchObject({
      type: 'pacs.002.001.10',
      originalMsgNmId: 'pacs.004.001.09',
      groupStatus: 'ACCP',
    });
    expect(r.transactions[0]).toMatchObject({
      orgnlInstrId: 'RTR-1',
      orgnlEndToEndId: tx.endToEndId,
      status: 'ACSC',
    });
    expect(cbs(RICH)).toBe(balance + 30000n);
    expect((await paymentsOf(tx.endToEndId))[0]?.state).toBe('REVERSED');
    const { rows } = await sql<{ state: string }>`
      select state from core_banking_refunds where payment_id = ${paymentId}::uuid`.execute(
      gw.services.database.db,
    );
    expect(rows).toEqual([{ state: 'refunded' }]);
    expect(gw.simulators.biller!.paidBill(paymentId)?.reversed).toBe(true);

    const again = report(await post('pacs.004', xml));
    expect(again.transactions[0]?.status).toBe('ACSC');
    expect(cbs(RICH)).toBe(balance + 30000n);
  });

  it('pacs.004 by UETR; a partial amount is RJCT AM09', async () => {
    const tx = electricity({ amount: '40.00', uetr: randomUUID() });
    await approved(tx);
    const partial = report(await post('pacs.004', pacs004(uid('RTR'), 'RTR-P', { uetr: tx.uetr }, '20.00')));
    expect(partial.transactions[0]).toMatchObject({ status: 'RJCT', reasons: [{ code: 'AM09' }] });
    const otherCurrency = report(
      await post('pacs.004', pacs004(uid('RTR'), 'RTR-C', { uetr: tx.uetr }, '40.00', 'USD')),
    );
    expect(otherCurrency.transactions[0]).toMatchObject({ status: 'RJCT', reasons: [{ code: 'AM09' }] });
    const full = report(await post('pacs.004', pacs004(uid('RTR'), 'RTR-F', { uetr: tx.uetr }, '40.00')));
    expect(full.transactions[0]?.status).toBe('ACSC');
  });

  it('pacs.004 for an unknown original is RJCT naming it', async () => {
    const r = report(
      await post(
        'pacs.004',
        pacs004(uid('RTR'), 'RTR-U', { msgId: 'NO-SUCH-MSG', endToEndId: 'NO-SUCH-E2E' }, '1.00'),
      ),
    );
    expect(r.groupStatus).toBe('RJCT');
    expect(r.transactions[0]).toMatchObject({
      status: 'RJCT',
      reasons: [
        {
          code: 'NARR',
          additionalInfo: ['Original payment not found: MsgId NO-SUCH-MSG, EndToEndId NO-SUCH-E2E'],
        },
      ],
    });
  });

  it('camt.056 cancels an approved payment: camt.029 CNCL / ACCR, reversed in the ledger and at the biller', async () => {
    const tx = electricity({ amount: '55.00' });
    const { msgId, paymentId } = await approved(tx);
    const balance = cbs(RICH);
    const res = await post('camt.056', camt056(uid('CXL'), 'CXL-1', { msgId, endToEndId: tx.endToEndId }));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    expect(res.text).toContain('urn:iso:std:iso:20022:tech:xsd:camt.029.001.09');
    expect(res.text).toContain('<Conf>CNCL</Conf>');
    expect(res.text).toContain('<TxCxlSts>ACCR</TxCxlSts>');
    expect(res.text).toContain(`<OrgnlEndToEndId>${tx.endToEndId}</OrgnlEndToEndId>`);
    expect(cbs(RICH)).toBe(balance + 5500n);
    expect(gw.simulators.biller!.paidBill(paymentId)?.reversed).toBe(true);

    // Cancelling it again under a new cancellation id: already reversed.
    const again = await post('camt.056', camt056(uid('CXL'), 'CXL-2', { msgId, endToEndId: tx.endToEndId }));
    expect(again.text).toContain('<TxCxlSts>RJCR</TxCxlSts>');
    expect(again.text).toContain('<Cd>ARDT</Cd>');
  });

  it('a payment made under a UETR is cancelled by a camt.056 that quotes only its MsgId and EndToEndId', async () => {
    const tx = electricity({ amount: '12.00', uetr: randomUUID() });
    const { msgId, paymentId } = await approved(tx);
    const res = await post('camt.056', camt056(uid('CXL'), 'CXL-M', { msgId, endToEndId: tx.endToEndId }));
    expect(res.text).toContain('<TxCxlSts>ACCR</TxCxlSts>');
    expect((await paymentsOf(tx.endToEndId))[0]?.state).toBe('REVERSED');
    expect(gw.simulators.biller!.paidBill(paymentId)?.reversed).toBe(true);
  });

  it('camt.056 for an unknown original is RJCR NOOR naming it', async () => {
    const uetr = randomUUID();
    const res = await post('camt.056', camt056(uid('CXL'), 'CXL-U', { uetr }));
    expect(res.status).toBe(200);
    expect(res.text).toContain('<Conf>RJCR</Conf>');
    expect(res.text).toContain('<Cd>NOOR</Cd>');
    expect(res.text).toContain(`<AddtlInf>Original payment not found: UETR ${uetr}</AddtlInf>`);
  });
});
