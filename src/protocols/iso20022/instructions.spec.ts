import * as fs from 'node:fs';
import * as path from 'node:path';

import { Iso20022Engine, type ReceivedMessage } from './engine';
import {
  billReferenceOf,
  billTypeOf,
  idempotencyKey,
  toCancellationInstructions,
  toInstructions,
  toReturnInstructions,
} from './instructions';

const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string): Buffer => fs.readFileSync(path.join(FIXTURES, name));
const asJson = (v: unknown): string =>
  `${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2)}\n`;

/** ISO20022_UPDATE_GOLDEN=1 rewrites the golden files after an intended change; review the diff. */
function expectGolden(name: string, actual: string): void {
  const file = path.join(FIXTURES, name);
  if (process.env['ISO20022_UPDATE_GOLDEN'] === '1') fs.writeFileSync(file, actual);
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

const lookups = {
  billTypeByCreditor: (id: string): string | undefined => (id === 'WASA-DHAKA' ? 'WATER' : undefined),
};

let engine: Iso20022Engine;
beforeAll(async () => {
  engine = await Iso20022Engine.create();
});
afterAll(() => engine.dispose());

function receive(name: string): ReceivedMessage {
  const r = engine.receive(fixture(name));
  if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.failure)}`);
  return r.message;
}

describe('golden request -> instructions', () => {
  it.each([
    ['pacs008-bill-payments.xml', 'pacs008-bill-payments.instructions.json'],
    ['pain001v09-bill-payments.xml', 'pain001v09-bill-payments.instructions.json'],
    ['pain001v03-bill-payment.xml', 'pain001v03-bill-payment.instructions.json'],
  ])('%s', (request, golden) => {
    expectGolden(golden, asJson(toInstructions(receive(request), lookups)));
  });

  it('pacs.004 -> return instructions, camt.056 -> cancellation instructions', () => {
    const rtr = receive('pacs004-return.xml');
    if (rtr.document.type !== 'pacs.004.001.09') throw new Error('pacs.004 expected');
    expect(toReturnInstructions(rtr.document, rtr)).toEqual([
      {
        index: 0,
        msgId: 'PRTN-RTR-20260515-01',
        rtrId: 'RTR-000001',
        originalMsgId: 'PRTN-20260514-0001',
        originalEndToEndId: '000400078911122',
        originalUetr: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
        amountText: '2450.10',
        amountMinor: 245010n,
        currency: 'BDT',
        reasonCode: 'AC04',
        problems: [],
      },
    ]);
    const cxl = receive('camt056-cancellation.xml');
    if (cxl.document.type !== 'camt.056.001.08') throw new Error('camt.056 expected');
    expect(toCancellationInstructions(cxl.document, cxl)).toEqual([
      {
        index: 0,
        assignmentId: 'PRTN-CXL-20260514-07',
        caseId: 'CASE-2026-0514-07',
        cxlId: 'CXL-0007',
        originalMsgId: 'PRTN-20260514-0001',
        originalEndToEndId: 'E2E-WASA-000002',
        reasonCode: 'DUPL',
        problems: [],
      },
    ]);
  });
});

describe('values are kept exactly as sent', () => {
  it('leading zeros and trailing decimal zeros survive', () => {
    const batch = toInstructions(receive('pacs008-bill-payments.xml'), lookups);
    const [first, second] = batch?.instructions ?? [];
    expect(first?.endToEndId).toBe('000400078911122');
    expect(first?.partnerReference).toBe('000400078911122');
    expect(first?.amountText).toBe('2450.10');
    expect(first?.amountMinor).toBe(245010n);
    expect(first?.payerAccount).toBe('0012345678901');
    expect(first?.billReference).toBe('0051-2026-05-00042');
    expect(second?.amountText).toBe('1200.00');

    const legacy = receive('pain001v03-bill-payment.xml');
    if (legacy.document.type !== 'pain.001.001.03') throw new Error('pain.001.001.03 expected');
    expect(legacy.document.groupHeader.ctrlSum).toBe('0780.50');
    expect(toInstructions(legacy)?.instructions[0]?.endToEndId).toBe('000000000000777');
  });

  it('escaped characters are read as the characters they stand for', () => {
    const doc = receive('pacs008-bill-payments.xml').document;
    if (doc.type !== 'pacs.008.001.08') throw new Error('pacs.008 expected');
    expect(doc.transactions[0]?.debtor?.name).toBe('Rahim & Sons');
    expect(doc.transactions[1]?.remittance?.unstructured).toEqual(['WASA bill 7788/2026-05 <meter 12>']);
  });
});

describe('bill type, reference and idempotency key', () => {
  it('purpose code wins; the creditor lookup is the fallback', () => {
    expect(billTypeOf('ELEC', 'WASA-DHAKA', lookups)).toBe('ELECTRICITY');
    expect(billTypeOf('WTER', undefined)).toBe('WATER');
    expect(billTypeOf('GDDS', 'WASA-DHAKA', lookups)).toBe('WATER');
    expect(billTypeOf(undefined, 'UNKNOWN', lookups)).toBeUndefined();
    expect(billTypeOf(undefined, 'WASA-DHAKA')).toBeUndefined();
  });

  it('structured creditor reference before unstructured text', () => {
    const base = { index: 0, line: 1, pmtId: { endToEndId: 'E' } };
    expect(
      billReferenceOf({
        ...base,
        remittance: { unstructured: ['free text'], creditorReferences: [{ ref: 'R-1' }] },
      }),
    ).toBe('R-1');
    expect(
      billReferenceOf({ ...base, remittance: { unstructured: ['free text'], creditorReferences: [{}] } }),
    ).toBe('free text');
    expect(billReferenceOf(base)).toBeUndefined();
  });

  it('UETR when present, else MsgId + EndToEndId without ambiguity', () => {
    expect(idempotencyKey({ msgId: 'M', endToEndId: 'E', uetr: 'u-1' })).toBe('uetr:u-1');
    expect(idempotencyKey({ msgId: 'A:B', endToEndId: 'C' })).not.toBe(
      idempotencyKey({ msgId: 'A', endToEndId: 'B:C' }),
    );
  });
});
