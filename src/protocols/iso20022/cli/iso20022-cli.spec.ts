import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Iso20022Engine } from '../engine';
import { inspectCommand, validateCommand, type CliLookups } from './iso20022-cli';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const SAMPLES = path.resolve(__dirname, '../../../../test/fixtures/iso20022/samples');

/** What the lane would find in its database: WASA-DHAKA is a water biller; three bill types offered. */
const LOOKUPS: CliLookups = {
  billTypeByCreditor: (id) => (id === 'WASA-DHAKA' ? 'WATER' : undefined),
  billTypeOffered: (code) => ['ELECTRICITY', 'WATER', 'GAS'].includes(code),
};

let engine: Iso20022Engine;
let tmp: string;
beforeAll(async () => {
  engine = await Iso20022Engine.create();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iso20022-cli-'));
});
afterAll(() => {
  engine.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('validateCommand', () => {
  it('names the message and says it is valid', async () => {
    const file = path.join(FIXTURES, 'pacs008-bill-payments.xml');
    const r = await validateCommand(file, { engine }, LOOKUPS);
    expect(r.ok).toBe(true);
    expect(r.output).toBe(
      [
        `file: ${file}`,
        'message: pacs.008.001.08 with AppHdr (BizMsgIdr PRTN-20260514-0001) in <Envelope>',
        'schema: valid',
        'lane endpoint: POST /iso20022/pacs.008',
        'business checks: passed',
        'lane checks: passed',
        'result: OK',
      ].join('\n'),
    );
  });

  it("runs the lane's own checks: a bill type not offered or a creditor naming no biller is REJECTED", async () => {
    const file = path.join(FIXTURES, 'pain001v09-bill-payments.xml');
    const r = await validateCommand(file, { engine }, LOOKUPS);
    expect(r.ok).toBe(false);
    expect(r.output).toContain(
      [
        'business checks: passed',
        'lane checks: 2 transaction(s) would be rejected',
        '  transaction 2: RJCT NARR Bill type PHONE is not offered',
        '  transaction 3: RJCT NARR Bill type CABLE_TV is not offered',
        'result: REJECTED',
      ].join('\n'),
    );
    // Without a creditor lookup the WASA-DHAKA transaction names no biller, as on a lane without it.
    const unknown = await validateCommand(path.join(FIXTURES, 'pacs008-bill-payments.xml'), { engine });
    expect(unknown.output).toContain(
      '  transaction 2: RJCT NARR Bill type unknown: no Purp/Cd, creditor WASA-DHAKA names no biller',
    );
  });

  it('rejects a missing debtor account (RR01) and a missing bill reference, as the lane does', async () => {
    const xml = fs.readFileSync(path.join(FIXTURES, 'pacs008-bill-payments.xml'), 'utf8');
    const noAccount = path.join(tmp, 'no-dbtr-acct.xml');
    fs.writeFileSync(noAccount, xml.replace(/<DbtrAcct>[\s\S]*?<\/DbtrAcct>/, ''));
    expect((await validateCommand(noAccount, { engine }, LOOKUPS)).output).toContain(
      '  transaction 1: RJCT RR01 DbtrAcct is required',
    );
    const noReference = path.join(tmp, 'no-reference.xml');
    fs.writeFileSync(noReference, xml.replace(/<RmtInf>[\s\S]*?<\/RmtInf>/, ''));
    expect((await validateCommand(noReference, { engine }, LOOKUPS)).output).toContain(
      '  transaction 1: RJCT NARR Bill reference missing',
    );
  });

  it('says no lane endpoint takes an answer message', async () => {
    const r = await validateCommand(path.join(FIXTURES, 'pacs002-answer-to-pacs008.xml'), { engine });
    expect(r.ok).toBe(false);
    expect(r.output).toContain('lane endpoint: none (the lane does not take pacs.002.001.10)');
  });

  it('lists each schema error with its line', async () => {
    const r = await validateCommand(path.join(SAMPLES, 'mojaloop-pm4ml/pacs.008.001.08.request.xml'), {
      engine,
    });
    expect(r.ok).toBe(false);
    expect(r.output).toContain('schema: INVALID (2 errors)');
    expect(r.output).toMatch(/ {2}line 5: Element 'MsgId': \[facet 'maxLength'\]/);
    expect(r.output).toMatch(/ {2}line 29: Element 'EndToEndId'/);
  });

  it('lists business problems with their line', async () => {
    const file = path.join(tmp, 'bad-count.xml');
    fs.writeFileSync(
      file,
      fs
        .readFileSync(path.join(FIXTURES, 'pacs008-bill-payments.xml'), 'utf8')
        .replace('<NbOfTxs>2<', '<NbOfTxs>5<'),
    );
    const r = await validateCommand(file, { engine });
    expect(r.ok).toBe(false);
    expect(r.output).toContain(
      '  message line 29: NB_OF_TXS_MISMATCH (AM19) GrpHdr NbOfTxs is 5 but the message has 2',
    );
  });

  it('refuses hostile and oversized files without reading them into the parser', async () => {
    const hostile = path.join(tmp, 'xxe.xml');
    fs.writeFileSync(hostile, '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>');
    expect((await validateCommand(hostile, { engine })).output).toContain('refused (doctype)');
    const big = path.join(tmp, 'big.xml');
    fs.writeFileSync(big, Buffer.alloc(engine.maxBytes + 1, 0x20));
    expect((await validateCommand(big, { engine })).output).toContain('refused (too-large)');
  });

  it('works without an engine passed in', async () => {
    const r = await validateCommand(path.join(FIXTURES, 'pain001v03-bill-payment.xml'), {}, LOOKUPS);
    expect(r.ok).toBe(true);
  });
});

describe('inspectCommand', () => {
  it('prints the instructions as JSON, bigint amounts as strings', async () => {
    const out = await inspectCommand(
      path.join(FIXTURES, 'pacs008-bill-payments.xml'),
      { billTypeByCreditor: (id) => (id === 'WASA-DHAKA' ? 'WATER' : undefined) },
      { engine },
    );
    const parsed = JSON.parse(out) as {
      messageType: string;
      instructions: { amountMinor: string; billType: string; billReference: string; lane: string }[];
    };
    expect(parsed.messageType).toBe('pacs.008.001.08');
    expect(parsed.instructions.map((i) => [i.amountMinor, i.billType, i.billReference, i.lane])).toEqual([
      ['245010', 'ELECTRICITY', expect.any(String), 'pays'],
      ['120000', 'WATER', expect.any(String), 'pays'],
    ]);
  });

  it('shows what the lane would do with each instruction', async () => {
    const out = await inspectCommand(path.join(FIXTURES, 'pain001v09-bill-payments.xml'), LOOKUPS, {
      engine,
    });
    const parsed = JSON.parse(out) as { instructions: { billType: string; lane: string }[] };
    expect(parsed.instructions.map((i) => [i.billType, i.lane])).toEqual([
      ['GAS', 'pays'],
      ['PHONE', 'rejected: RJCT NARR Bill type PHONE is not offered'],
      ['CABLE_TV', 'rejected: RJCT NARR Bill type CABLE_TV is not offered'],
    ]);
  });

  it('prints returns and cancellations, and failures as text', async () => {
    expect(
      JSON.parse(await inspectCommand(path.join(FIXTURES, 'pacs004-return.xml'), {}, { engine })),
    ).toMatchObject({
      returns: [{ rtrId: 'RTR-000001', amountMinor: '245010', reasonCode: 'AC04' }],
    });
    expect(
      JSON.parse(await inspectCommand(path.join(FIXTURES, 'camt056-cancellation.xml'), {}, { engine })),
    ).toMatchObject({ cancellations: [{ caseId: 'CASE-2026-0514-07', reasonCode: 'DUPL' }] });
    const out = await inspectCommand(
      path.join(SAMPLES, 'iso20022js-banks/goldman_sachs__pain_001_v3_sepa.xml'),
      {},
      { engine },
    );
    expect(out).toContain("line 27: Element 'ReqdExctnDt'");
  });
});
