import * as fs from 'node:fs';
import * as path from 'node:path';

import { formatMajorAmount, MAX_MINOR } from '../../domain/money/money';
import { answerPayments } from './answers';
import { checkAmount, codePointLength } from './business-checks';
import { Iso20022Engine, type ReceivedMessage } from './engine';
import { toInstructions } from './instructions';

const FIXTURES = path.join(__dirname, 'fixtures');
const fixtureText = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const clock = { now: (): Date => new Date('2026-05-14T03:31:00.000Z') };

let engine: Iso20022Engine;
beforeAll(async () => {
  engine = await Iso20022Engine.create();
});
afterAll(() => engine.dispose());

/** The golden request with one exact substring replaced; the variant must still be schema-valid. */
function variant(name: string, from: string, to: string): ReceivedMessage {
  const text = fixtureText(name);
  expect(text).toContain(from);
  const r = engine.receive(text.replace(from, to));
  if (!r.ok) throw new Error(JSON.stringify(r.failure));
  return r.message;
}

describe('group-level checks (the whole message is rejected)', () => {
  it('wrong NbOfTxs (pacs.008) -> AM19', () => {
    const m = variant('pacs008-bill-payments.xml', '<NbOfTxs>2</NbOfTxs>', '<NbOfTxs>3</NbOfTxs>');
    expect(m.problems.group).toEqual([
      {
        code: 'NB_OF_TXS_MISMATCH',
        reason: 'AM19',
        message: 'GrpHdr NbOfTxs is 3 but the message has 2 transactions',
        line: 29,
      },
    ]);
  });

  it('wrong CtrlSum (pacs.008) -> AM10, compared as decimals, not floats', () => {
    const m = variant(
      'pacs008-bill-payments.xml',
      '<CtrlSum>3650.10</CtrlSum>',
      '<CtrlSum>3650.11</CtrlSum>',
    );
    expect(m.problems.group).toEqual([
      expect.objectContaining({
        code: 'CTRL_SUM_MISMATCH',
        reason: 'AM10',
        message: 'GrpHdr CtrlSum is 3650.11 but the amounts add up to 3650.1',
      }),
    ]);
    // Same value written differently is not a mismatch.
    expect(
      variant('pacs008-bill-payments.xml', '<CtrlSum>3650.10</CtrlSum>', '<CtrlSum>3650.1000</CtrlSum>')
        .problems.group,
    ).toEqual([]);
  });

  it('TtlIntrBkSttlmAmt that does not add up -> AM10', () => {
    const m = variant(
      'pacs008-bill-payments.xml',
      '<TtlIntrBkSttlmAmt Ccy="BDT">3650.10',
      '<TtlIntrBkSttlmAmt Ccy="BDT">3650.00',
    );
    expect(m.problems.group.map((p) => p.code)).toEqual(['TOTAL_AMOUNT_MISMATCH']);
  });

  it('pain.001: PmtInf NbOfTxs -> AM20, PmtInf CtrlSum -> AM10', () => {
    const m = variant(
      'pain001v09-bill-payments.xml',
      '<NbOfTxs>2</NbOfTxs>\n      <CtrlSum>3105.50',
      '<NbOfTxs>1</NbOfTxs>\n      <CtrlSum>3105.40',
    );
    expect(m.problems.group.map((p) => [p.code, p.reason])).toEqual([
      ['NB_OF_TXS_MISMATCH', 'AM20'],
      ['CTRL_SUM_MISMATCH', 'AM10'],
    ]);
  });

  it('pain.001 and pacs.004: GrpHdr NbOfTxs -> AM19, GrpHdr CtrlSum -> AM10', () => {
    const pain = variant(
      'pain001v09-bill-payments.xml',
      '<NbOfTxs>3</NbOfTxs>\n      <CtrlSum>4105.50',
      '<NbOfTxs>4</NbOfTxs>\n      <CtrlSum>4105.51',
    );
    expect(pain.problems.group.map((p) => [p.code, p.reason, p.message])).toEqual([
      ['NB_OF_TXS_MISMATCH', 'AM19', 'GrpHdr NbOfTxs is 4 but the message has 3 transactions'],
      ['CTRL_SUM_MISMATCH', 'AM10', 'GrpHdr CtrlSum is 4105.51 but the amounts add up to 4105.5'],
    ]);
    const ret = variant('pacs004-return.xml', '<NbOfTxs>1</NbOfTxs>', '<NbOfTxs>2</NbOfTxs>');
    expect(ret.problems.group).toEqual([
      {
        code: 'NB_OF_TXS_MISMATCH',
        reason: 'AM19',
        message: 'GrpHdr NbOfTxs is 2 but the message has 1 transactions',
        line: 28,
      },
    ]);
  });

  it('AppHdr MsgDefIdr that does not match the Document namespace -> FF01', () => {
    const m = variant(
      'pacs008-bill-payments.xml',
      '<MsgDefIdr>pacs.008.001.08</MsgDefIdr>',
      '<MsgDefIdr>pacs.008.001.12</MsgDefIdr>',
    );
    expect(m.problems.group).toEqual([
      {
        code: 'APPHDR_MISMATCH',
        reason: 'FF01',
        message: 'AppHdr MsgDefIdr pacs.008.001.12 does not match the Document (pacs.008.001.08)',
        line: 4,
      },
    ]);
  });

  it('a group problem rejects the whole message in the answer', () => {
    const m = variant('pacs008-bill-payments.xml', '<NbOfTxs>2</NbOfTxs>', '<NbOfTxs>3</NbOfTxs>');
    const answer = answerPayments(m, [], { msgId: 'ANS-1', clock });
    expect(answer.xml).toContain('<GrpSts>RJCT</GrpSts>');
    expect(answer.xml).toContain('<Cd>AM19</Cd>');
    expect(answer.xml).not.toContain('<TxInfAndSts>');
  });
});

describe('transaction-level checks', () => {
  it('3 decimals in BDT -> AM12 on that transaction only, and no amount is taken', () => {
    const m = variant(
      'pacs008-bill-payments.xml',
      '<IntrBkSttlmAmt Ccy="BDT">2450.10<',
      '<IntrBkSttlmAmt Ccy="BDT">2450.105<',
    );
    const batch = toInstructions(m);
    expect(batch?.instructions[0]?.problems).toEqual([
      {
        code: 'AMOUNT_MINOR_DIGITS',
        reason: 'AM12',
        message: 'IntrBkSttlmAmt 2450.105 has 3 decimals; BDT has 2',
        line: 44,
      },
    ]);
    expect(batch?.instructions[0]?.amountMinor).toBeUndefined();
    expect(batch?.instructions[1]?.problems).toEqual([]);
    // The CtrlSum no longer adds up either, which is a separate (group) problem.
    expect(m.problems.group.map((p) => p.code)).toEqual(['CTRL_SUM_MISMATCH', 'TOTAL_AMOUNT_MISMATCH']);
  });

  it('the digits written count, trailing zeros included (BHD has 3, JPY none)', () => {
    const amount = (value: string, currency: string): ReturnType<typeof checkAmount> =>
      checkAmount({ value, currency, line: 1 }, 'Amt');
    expect(amount('12.500', 'BHD').minor).toBe(12500n);
    expect(amount('12.5000', 'BHD').problems[0]?.code).toBe('AMOUNT_MINOR_DIGITS');
    expect(amount('1000', 'JPY').minor).toBe(1000n);
    expect(amount('1000.0', 'JPY').problems[0]?.code).toBe('AMOUNT_MINOR_DIGITS');
    expect(amount('0012.50', 'BDT').minor).toBe(1250n);
    expect(amount(' 12.50 ', 'BDT').minor).toBe(1250n);
    expect(amount('0.00', 'BDT').problems[0]).toMatchObject({ code: 'AMOUNT_NOT_POSITIVE', reason: 'AM01' });
    expect(amount('12.50', 'XXX').problems[0]).toMatchObject({
      code: 'CURRENCY_NOT_SUPPORTED',
      reason: 'AM03',
    });
    expect(amount(formatMajorAmount(MAX_MINOR + 1n, 'BDT'), 'BDT').problems[0]).toMatchObject({
      code: 'AMOUNT_TOO_LARGE',
      reason: 'AM02',
    });
    expect(amount('90071992547409.93', 'BDT').minor ?? 'too-large').toBe(
      9007199254740993n <= MAX_MINOR ? 9007199254740993n : 'too-large',
    );
  });

  it('a return reason outside ExternalReturnReason1Code is reported', () => {
    const m = variant('pacs004-return.xml', '<Cd>AC04</Cd>', '<Cd>ZZ99</Cd>');
    expect(m.problems.transactions[0]).toEqual([
      {
        code: 'CODE_NOT_IN_CODE_SET',
        reason: 'NARR',
        message: 'Reason code ZZ99 is not in ExternalReturnReason1Code',
        line: 44,
      },
    ]);
  });

  it('a cancellation reason outside ExternalCancellationReason1Code is reported', () => {
    const m = variant('camt056-cancellation.xml', '<Cd>DUPL</Cd>', '<Cd>QQ99</Cd>');
    expect(m.problems.transactions[0]?.map((p) => p.message)).toEqual([
      'Reason code QQ99 is not in ExternalCancellationReason1Code',
    ]);
  });

  it('camt.056 CtrlData/NbOfTxs is checked against the requests', () => {
    const m = variant('camt056-cancellation.xml', '<NbOfTxs>1</NbOfTxs>', '<NbOfTxs>2</NbOfTxs>');
    expect(m.problems.group.map((p) => [p.code, p.reason])).toEqual([['NB_OF_TXS_MISMATCH', 'AM18']]);
  });

  it('the same EndToEndId twice in one message -> RF01 on the second (it would share an idempotency key)', () => {
    const m = variant(
      'pain001v09-bill-payments.xml',
      '<EndToEndId>ACME-PHONE-0002</EndToEndId>',
      '<EndToEndId>ACME-GAS-0001</EndToEndId>',
    );
    expect(m.problems.transactions.map((ps) => ps.map((p) => p.reason))).toEqual([[], ['RF01'], []]);
  });

  it('a transaction with problems is answered RJCT with its own reason, the others as decided', () => {
    const m = variant(
      'pacs008-bill-payments.xml',
      '<IntrBkSttlmAmt Ccy="BDT">1200.00<',
      '<IntrBkSttlmAmt Ccy="BDT">1200.001<',
    );
    expect(m.problems.transactions[1]?.[0]?.reason).toBe('AM12');
    // Group problems (CtrlSum) would reject all; drop them to look at the transaction answer alone.
    const answer = answerPayments({ ...m, problems: { ...m.problems, group: [] } }, ['APPROVED', undefined], {
      msgId: 'ANS-2',
      clock,
    });
    expect(answer.xml).toContain('<GrpSts>PART</GrpSts>');
    expect(answer.xml).toMatch(
      /<TxSts>ACSC<\/TxSts>[\s\S]*<TxSts>RJCT<\/TxSts>\s*<StsRsnInf>\s*<Rsn>\s*<Cd>AM12<\/Cd>/,
    );
  });

  it('Max35Text is counted in characters, not UTF-16 units', () => {
    expect(codePointLength('𝒜'.repeat(35))).toBe(35);
    expect('𝒜'.repeat(35).length).toBe(70);
  });
});
