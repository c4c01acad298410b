import { isValidIdempotencyKey, validateBillPay } from './bill-pay.request';

const known = (code: string) => ['ELECTRICITY', 'WATER'].includes(code);
const body = {
  billType: 'ELECTRICITY',
  billReference: 'DESCO-1',
  amount: '1250.50',
  currency: 'BDT',
  payer: { wallet: '017' },
  partnerReference: 'r1',
};

describe('validateBillPay', () => {
  it('turns a valid body into minor units and one payer instrument', () => {
    expect(validateBillPay(body, known)).toEqual({
      ok: true,
      value: {
        billType: 'ELECTRICITY',
        billReference: 'DESCO-1',
        amountMinor: 125050n,
        currency: 'BDT',
        payer: { kind: 'wallet', id: '017' },
        partnerReference: 'r1',
      },
    });
  });

  it('names every bad field at once', () => {
    const r = validateBillPay({ ...body, amount: '1.234', billType: 'NOPE', extra: 1 }, known);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.field).sort()).toEqual(['amount', 'billType', 'extra']);
  });
});

describe('idempotency keys', () => {
  it('accepts 1-255 printable characters only', () => {
    expect(isValidIdempotencyKey('a')).toBe(true);
    expect(isValidIdempotencyKey('k'.repeat(255))).toBe(true);
    expect(isValidIdempotencyKey('k'.repeat(256))).toBe(false);
    expect(isValidIdempotencyKey('')).toBe(false);
    expect(isValidIdempotencyKey('tab\there')).toBe(false);
    expect(isValidIdempotencyKey(undefined)).toBe(false);
  });
});
