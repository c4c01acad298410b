import * as fs from 'node:fs';
import * as path from 'node:path';

import { REASON_CODES, type ReasonCode } from '../../domain/reason-codes';
import { answerCancellation, answerPayments, buildRejection, describeFirstError } from './answers';
import { answerXml, buildAppHdr, partyByBic } from './builders/app-hdr';
import { Iso20022BuildError, newMessageId } from './builders/common';
import { buildPacs002, buildPain002 } from './builders/status-report';
import { Iso20022Engine, type ReceivedMessage, type ReceiveFailure } from './engine';
import type { StatusReport } from './readers/status-report';
import { serialize } from './xml-writer';

const FIXTURES = path.join(__dirname, 'fixtures');
const SAMPLES = path.resolve(__dirname, '../../../test/fixtures/iso20022/samples');
const fixture = (name: string): Buffer => fs.readFileSync(path.join(FIXTURES, name));
const clock = { now: (): Date => new Date('2026-05-14T03:31:00.000Z') };

/** ISO20022_UPDATE_GOLDEN=1 rewrites the golden files after an intended change; review the diff. */
function expectGolden(name: string, actual: string): void {
  const file = path.join(FIXTURES, name);
  if (process.env['ISO20022_UPDATE_GOLDEN'] === '1') fs.writeFileSync(file, actual);
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

let engine: Iso20022Engine;
beforeAll(async () => {
  engine = await Iso20022Engine.create();
});
afterAll(() => engine.dispose());

function receive(body: Buffer | string): ReceivedMessage {
  const r = engine.receive(body);
  if (!r.ok) throw new Error(JSON.stringify(r.failure));
  return r.message;
}

function failure(body: Buffer | string): ReceiveFailure {
  const r = engine.receive(body);
  if (r.ok) throw new Error('expected a failure');
  return r.failure;
}

/** Everything we emit must pass its own XSD (and the AppHdr's); returns the report read back. */
function expectSchemaValid(xml: string, type: StatusReport['type']): StatusReport {
  const m = receive(xml);
  expect(m.messageType).toBe(type);
  expect(m.problems.group).toEqual([]);
  if (m.document.type !== type) throw new Error('unexpected document');
  return m.document;
}

describe('answers to golden requests (golden XML, XSD-valid)', () => {
  it('pacs.008 -> pacs.002 in the request envelope, AppHdr swapped, PART', () => {
    const request = receive(fixture('pacs008-bill-payments.xml'));
    const answer = answerPayments(request, ['APPROVED', 'INSUFFICIENT_FUNDS'], {
      msgId: 'BLGT-ANS-0001',
      clock,
    });
    expect(answer.messageType).toBe('pacs.002.001.10');
    expectGolden('pacs002-answer-to-pacs008.xml', answer.xml);

    const back = receive(answer.xml);
    expect(back.appHdr?.msgDefIdr).toBe('pacs.002.001.10');
    expect(back.appHdr?.from.children[0]?.children[0]?.children[0]?.text).toBe('BLGTBDDHXXX');
    expect(back.appHdr?.to.children[0]?.children[0]?.children[0]?.text).toBe('PRTNBDDHXXX');
    const report = expectSchemaValid(answer.xml, 'pacs.002.001.10');
    expect(report.originalMsgId).toBe('PRTN-20260514-0001');
    expect(report.originalMsgNmId).toBe('pacs.008.001.08');
    expect(report.groupStatus).toBe('PART');
    expect(
      report.transactions.map((t) => [t.orgnlEndToEndId, t.orgnlUetr, t.status, t.reasons[0]?.code]),
    ).toEqual([
      ['000400078911122', '7c9e6679-7425-40de-944b-e07fc1f90ae7', 'ACSC', undefined],
      ['E2E-WASA-000002', undefined, 'RJCT', 'AM04'],
    ]);
  });

  it('pain.001 -> pain.002 per PmtInf, pending and rejected mixed', () => {
    const request = receive(fixture('pain001v09-bill-payments.xml'));
    const answer = answerPayments(request, ['APPROVED', 'BILLER_TIMEOUT', 'DUPLICATE_CONFLICT'], {
      msgId: 'BLGT-ANS-0002',
      clock,
    });
    expect(answer.messageType).toBe('pain.002.001.10');
    expectGolden('pain002-answer-to-pain001v09.xml', answer.xml);
    const report = expectSchemaValid(answer.xml, 'pain.002.001.10');
    expect(report.groupStatus).toBe('PART');
    expect(report.paymentInformation).toEqual([
      { pmtInfId: 'PI-UTILITIES-01', status: 'ACCP' },
      { pmtInfId: 'PI-TV-02', status: 'RJCT' },
    ]);
    expect(report.transactions.map((t) => [t.status, t.reasons[0]?.code])).toEqual([
      ['ACSC', undefined],
      ['ACSP', 'NARR'],
      ['RJCT', 'DUPL'],
    ]);
  });

  it('pain.001.001.03 -> pain.002.001.10, all accepted: ACCP', () => {
    const answer = answerPayments(receive(fixture('pain001v03-bill-payment.xml')), ['APPROVED'], {
      msgId: 'BLGT-ANS-0003',
      clock,
    });
    const report = expectSchemaValid(answer.xml, 'pain.002.001.10');
    expect(report.originalMsgNmId).toBe('pain.001.001.03');
    expect(report.groupStatus).toBe('ACCP');
  });

  it('pacs.004 -> pacs.002', () => {
    const answer = answerPayments(receive(fixture('pacs004-return.xml')), ['APPROVED'], {
      msgId: 'BLGT-ANS-0004',
      bizMsgIdr: 'BLGT-HDR-0004',
      clock,
    });
    expectGolden('pacs002-answer-to-pacs004.xml', answer.xml);
    const report = expectSchemaValid(answer.xml, 'pacs.002.001.10');
    expect(report.transactions[0]).toMatchObject({
      orgnlInstrId: 'RTR-000001',
      orgnlEndToEndId: '000400078911122',
      status: 'ACSC',
    });
  });

  it('camt.056 -> camt.029 (golden only: no camt.029 XSD is carried, see PROVENANCE.md)', () => {
    const answer = answerCancellation(receive(fixture('camt056-cancellation.xml')), [{ status: 'ACCR' }], {
      msgId: 'BLGT-CXL-ANS-0001',
      clock,
    });
    expect(answer.messageType).toBe('camt.029.001.09');
    expectGolden('camt029-answer-to-camt056.xml', answer.xml);
    // Its AppHdr still validates against head.001.001.02: put it beside a (valid) pacs.002 Document.
    const pacs002 = serialize(
      buildPacs002(
        { msgId: 'X', original: { msgId: 'O', msgNmId: 'camt.056.001.08' }, transactions: [] },
        clock,
      ),
      { declaration: false },
    );
    const m = receive(answer.xml.replace(/<Document[\s\S]*<\/Document>/, pacs002));
    expect(m.appHdr?.msgDefIdr).toBe('camt.029.001.09');
    expect(m.problems.group.map((p) => p.code)).toEqual(['APPHDR_MISMATCH']);
  });

  it('camt.029 confirmation follows the decisions: RJCR with a reason', () => {
    const answer = answerCancellation(
      receive(fixture('camt056-cancellation.xml')),
      [{ status: 'RJCR', reason: { code: 'ARDT', additionalInfo: 'Already paid to the biller' } }],
      { msgId: 'BLGT-CXL-ANS-0002', clock },
    );
    expect(answer.xml).toContain('<Conf>RJCR</Conf>');
    expect(answer.xml).toMatch(/<TxCxlSts>RJCR<\/TxCxlSts>\s*<CxlStsRsnInf>\s*<Rsn>\s*<Cd>ARDT<\/Cd>/);
  });

  it('every internal ReasonCode produces an XSD-valid pacs.002 and pain.002', () => {
    const pacs008 = receive(fixture('pacs008-bill-payments.xml'));
    const pain001 = receive(fixture('pain001v03-bill-payment.xml'));
    for (const code of Object.keys(REASON_CODES) as ReasonCode[]) {
      expectSchemaValid(answerPayments(pacs008, [code, code], { msgId: 'M1', clock }).xml, 'pacs.002.001.10');
      expectSchemaValid(answerPayments(pain001, [code], { msgId: 'M2', clock }).xml, 'pain.002.001.10');
    }
  });

  it('an outcome count that does not match the transactions is a caller bug', () => {
    const request = receive(fixture('pacs008-bill-payments.xml'));
    expect(() => answerPayments(request, ['APPROVED'], { msgId: 'M', clock })).toThrow(Iso20022BuildError);
  });
});

describe('rejection of messages that fail the XSD', () => {
  it('pacs.008 in an envelope with a bad ChrgBr -> pacs.002 RJCT FF01 naming the first error (golden)', () => {
    const body = fixture('pacs008-bill-payments.xml')
      .toString('utf8')
      .replace('<ChrgBr>SLEV</ChrgBr>', '<ChrgBr>XXXX</ChrgBr>');
    const f = failure(body);
    expect(f).toMatchObject({
      kind: 'schema-invalid',
      messageType: 'pacs.008.001.08',
      msgId: 'PRTN-20260514-0001',
    });
    const answer = buildRejection(f, { msgId: 'BLGT-REJ-0001', clock });
    if (answer === undefined) throw new Error('expected a rejection');
    expectGolden('pacs002-rejection-of-invalid-pacs008.xml', answer.xml);
    const report = expectSchemaValid(answer.xml, 'pacs.002.001.10');
    expect(report.groupStatus).toBe('RJCT');
    expect(report.groupReasons[0]?.code).toBe('FF01');
    const info = report.groupReasons[0]?.additionalInfo[0] ?? '';
    expect(info.startsWith("Line 45: Element 'ChrgBr': [facet 'enumeration'] The value 'XXXX'")).toBe(true);
    expect([...info].length).toBeLessThanOrEqual(105);
  });

  it('the invalid public pain.001 (YYYY-MM-DD) -> pain.002 RJCT FF01', () => {
    const f = failure(
      fs.readFileSync(path.join(SAMPLES, 'iso20022js-banks/goldman_sachs__pain_001_v3_sepa.xml')),
    );
    const answer = buildRejection(f, { msgId: 'BLGT-REJ-0002', clock });
    if (answer === undefined) throw new Error('expected a rejection');
    const report = expectSchemaValid(answer.xml, 'pain.002.001.10');
    expect(report.originalMsgNmId).toBe('pain.001.001.03');
    expect(report.groupReasons[0]?.additionalInfo[0]).toBe(
      "Line 27: Element 'ReqdExctnDt': 'YYYY-MM-DD' is not a valid value of the atomic type 'ISODate'.",
    );
  });

  it('no rejection when the MsgId cannot be echoed (the 36-character UUID): the caller answers 400', () => {
    const f = failure(fs.readFileSync(path.join(SAMPLES, 'mojaloop-pm4ml/pacs.008.001.08.request.xml')));
    expect(f).toMatchObject({ kind: 'schema-invalid' });
    expect(f.kind === 'schema-invalid' ? f.msgId : 'n/a').toBeUndefined();
    expect(buildRejection(f, { msgId: 'X', clock })).toBeUndefined();
  });

  it('a message that does not parse is rejected when its MsgId can still be read', () => {
    const body = fixture('pain001v03-bill-payment.xml').toString('utf8').replace('</Dbtr>', '</Debtor>');
    const f = failure(body);
    expect(f).toMatchObject({
      kind: 'malformed',
      messageDefinition: 'pain.001.001.03',
      msgId: 'LEGACY-0000000123',
    });
    const answer = buildRejection(f, { msgId: 'BLGT-REJ-0003', clock });
    if (answer === undefined) throw new Error('expected a rejection');
    expect(expectSchemaValid(answer.xml, 'pain.002.001.10').groupStatus).toBe('RJCT');
  });

  it('no rejection for refused bodies or unsupported types', () => {
    expect(buildRejection(failure('<!DOCTYPE x []><x/>'), { msgId: 'X', clock })).toBeUndefined();
    expect(
      buildRejection(
        failure(fs.readFileSync(path.join(SAMPLES, 'mojaloop-pm4ml/pain.002.001.10.example.xml'))),
        {
          msgId: 'X',
          clock,
        },
      ),
    ).toBeUndefined();
  });

  it('AddtlInf is cut at 105 characters without splitting a character', () => {
    const text = describeFirstError([{ message: `${'é'.repeat(95)}😀😀😀`, line: 3 }]);
    expect([...text].length).toBe(105);
    expect(text.endsWith('😀😀')).toBe(true);
    expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe('builders refuse what no receiver could accept', () => {
  it('codes outside the code sets, and identifiers over 35 characters', () => {
    const original = { msgId: 'M', msgNmId: 'pacs.008.001.08' };
    expect(() =>
      buildPacs002({ msgId: 'A', original, transactions: [{ status: 'ZZZZ' as 'ACSC' }] }, clock),
    ).toThrow(/ZZZZ is not in the ExternalPaymentTransactionStatus1Code code set/);
    expect(() =>
      buildPacs002(
        { msgId: 'A', original, transactions: [{ status: 'RJCT', reason: { code: 'QQ99' } }] },
        clock,
      ),
    ).toThrow(/QQ99 is not in the ExternalStatusReason1Code/);
    expect(() => buildPacs002({ msgId: 'x'.repeat(36), original, transactions: [] }, clock)).toThrow(/MsgId/);
    expect(() =>
      buildPain002({ msgId: 'A', original, groupStatus: 'XXXX' as 'ACCP', paymentInformation: [] }, clock),
    ).toThrow(/ExternalPaymentGroupStatus1Code/);
  });

  it('newMessageId fits Max35Text (a hyphenated UUID would not)', () => {
    expect(newMessageId()).toMatch(/^[0-9a-f]{32}$/);
  });

  it('an AppHdr built from scratch validates, with a standalone Document', () => {
    const header = buildAppHdr(
      {
        from: partyByBic('BLGTBDDHXXX'),
        to: partyByBic('PRTNBDDHXXX'),
        bizMsgIdr: 'H-1',
        msgDefIdr: 'pacs.002.001.10',
      },
      clock,
    );
    const document = buildPacs002(
      {
        msgId: 'H-1',
        original: { msgId: 'O-1', msgNmId: 'pacs.008.001.08' },
        transactions: [{ status: 'ACSC' }],
      },
      clock,
    );
    const xml = answerXml(document, header);
    expect(xml).toContain('<Envelope xmlns="urn:swift:xsd:envelope">');
    expectSchemaValid(xml, 'pacs.002.001.10');
    expectSchemaValid(answerXml(document), 'pacs.002.001.10');
  });
});
