import { CorruptStoredResult, deserialiseResult, serialiseResult } from './bill-pay-result';
import type { BillPayResult } from './bill-pay-command';

const result: BillPayResult = {
  paymentId: '01938a6e-0000-7000-8000-000000000001',
  status: 'APPROVED',
  reasonCode: 'APPROVED',
  billerReceipt: 'R-1',
  billType: 'ELECTRICITY',
  billReference: 'DESCO-1',
  amountMinor: 9_007_199_254_740_993n, // above 2^53: must not pass through a float
  currency: 'BDT',
  payerType: 'mfs-user',
  partnerReference: 'P-1',
  createdAt: new Date('2026-12-06T10:00:00.123Z'),
  route: {
    ruleId: '01938a6e-0000-7000-8000-000000000002',
    version: 3,
    billerEndpoint: 'sim-electricity',
    settlementAccount: 'settlement:ELECTRICITY:BDT',
  },
};

/** As the database hands it back: the jsonb text parsed. */
const stored = (r: BillPayResult): Record<string, unknown> =>
  JSON.parse(JSON.stringify(serialiseResult(r))) as Record<string, unknown>;

function problemsOf(value: unknown): readonly string[] {
  try {
    deserialiseResult(value);
  } catch (error) {
    if (error instanceof CorruptStoredResult) return error.problems;
    throw error;
  }
  throw new Error('accepted');
}

describe('stored bill-pay results', () => {
  it('read back exactly as they were written', () => {
    expect(deserialiseResult(stored(result))).toEqual(result);
    const declined = {
      ...result,
      status: 'DECLINED',
      reasonCode: 'NO_ROUTE',
      billerReceipt: null,
      route: null,
    } as const;
    expect(deserialiseResult(stored(declined))).toEqual(declined);
  });

  it('drop a field this version does not know (a newer node may add one)', () => {
    expect(deserialiseResult({ ...stored(result), settledAt: '2026-12-07' })).toEqual(result);
  });

  it('refuse a corrupt result with every bad field named, never cast it', () => {
    expect(
      problemsOf({
        ...stored(result),
        amountMinor: 1250.5,
        createdAt: 'yesterday',
        status: 'PAID',
        currency: 'bdt',
        billType: undefined,
      }).map((p) => p.split(':')[0]),
    ).toEqual(['status', 'billType', 'amountMinor', 'currency', 'createdAt']);
    expect(problemsOf({ ...stored(result), amountMinor: '12.50' })).toEqual([
      'amountMinor: must be an integer in minor units, as a decimal string',
    ]);
    expect(problemsOf({ ...stored(result), route: { ruleId: 'r' } })[0]).toMatch(/^route\.version: /);
    expect(problemsOf(null)).toHaveLength(1);
    expect(problemsOf('{"status":"APPROVED"}')[0]).toMatch(/^\(result\): /);
    expect(() => deserialiseResult({})).toThrow(/^stored bill-pay result is corrupt: paymentId: /);
  });
});
