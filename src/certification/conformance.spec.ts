import { matchesMessage } from './client-lane';
import { restChecks, transmissionTimeProblem } from './conformance';

const now = new Date('2026-12-31T23:58:00Z');

describe('field 7, the transmission time (MMDDhhmmss GMT)', () => {
  it('accepts the harness clock give or take ten minutes, across a year boundary', () => {
    expect(transmissionTimeProblem('1231235800', now)).toBeUndefined();
    expect(transmissionTimeProblem('0101000500', now)).toBeUndefined();
  });

  it('names what is wrong with a value that is not one', () => {
    expect(transmissionTimeProblem('2612312358', now)).toBe('not a date and time MMDDhhmmss');
    expect(transmissionTimeProblem('123123580', now)).toBe('not 10 digits MMDDhhmmss');
    expect(transmissionTimeProblem('1231200000', now)).toBe(
      "238 minutes away from the harness's clock (GMT)",
    );
    expect(transmissionTimeProblem('0230120000', now)).toBe('not a calendar date');
  });
});

describe('REST conformance', () => {
  const body = JSON.stringify({
    billType: 'ELECTRICITY',
    billReference: 'R-1',
    amount: '10.00',
    currency: 'BDT',
    payer: { wallet: '017' },
    partnerReference: 'p-1',
  });

  it('passes a payment with its key, credential and a body the lane reads', () => {
    const checks = restChecks(
      'POST',
      '/bill/pay',
      { authorization: 'Bearer k', 'idempotency-key': 'i-1', 'content-type': 'application/json' },
      body,
    );
    expect(checks.every((c) => c.passed)).toBe(true);
  });

  it('fails a payment without Idempotency-Key, and names a bad field', () => {
    const checks = restChecks(
      'POST',
      '/bill/pay',
      { authorization: 'Bearer k', 'content-type': 'application/json' },
      body.replace('"10.00"', '10'),
    );
    expect(checks.filter((c) => !c.passed).map((c) => [c.description, c.actual])).toEqual([
      ['Idempotency-Key is present (every state-changing call carries one)', null],
      ['the body is a bill payment as the REST lane reads it', expect.stringContaining('amount')],
    ]);
  });

  it('asks no key of a read', () => {
    expect(restChecks('GET', '/bill/pay/1', { authorization: 'Bearer k' }, '')).toHaveLength(1);
  });
});

describe('which message a step waits for', () => {
  it.each([
    ['0200|0201', '0201', true],
    ['0400|0401', '0200', false],
    ['POST /bill/pay', 'POST /bill/pay', true],
    ['GET /bill/pay/*', 'GET /bill/pay/01a2', true],
    ['GET /bill/pay/*', 'GET /bill/pay/01a2/x', false],
    ['POST /iso20022/pacs.008', 'POST /iso20022/pacs.004', false],
  ])('%s ~ %s: %s', (pattern, kind, expected) => {
    expect(matchesMessage(pattern, kind)).toBe(expected);
  });
});
