import { classifyPayer } from './classify';
import type { Partner } from './partner';

const mfs: Partner = { id: 'p-mfs', name: 'MFS', kind: 'mfs', payerTypes: ['mfs-user'], status: 'live' };
const bank: Partner = {
  id: 'p-bank',
  name: 'Bank',
  kind: 'bank',
  payerTypes: ['bank-customer', 'card-on-file'],
  status: 'live',
};
const aggregator: Partner = {
  id: 'p-agg',
  name: 'Agg',
  kind: 'aggregator',
  payerTypes: ['wallet-aggregator'],
  status: 'live',
};

describe('classifyPayer', () => {
  it('classifies by partner and instrument', () => {
    expect(classifyPayer(mfs, { id: 'l' }, { kind: 'wallet', id: '017' })).toEqual({
      ok: true,
      payerType: 'mfs-user',
    });
    expect(classifyPayer(aggregator, { id: 'l' }, { kind: 'wallet', id: 'w' })).toEqual({
      ok: true,
      payerType: 'wallet-aggregator',
    });
    expect(classifyPayer(bank, { id: 'l' }, { kind: 'account', id: 'a' })).toEqual({
      ok: true,
      payerType: 'bank-customer',
    });
    expect(classifyPayer(bank, { id: 'l' }, { kind: 'card-token', id: 't' })).toEqual({
      ok: true,
      payerType: 'card-on-file',
    });
  });

  it('refuses a payer type outside the schedule', () => {
    const r = classifyPayer(mfs, { id: 'l' }, { kind: 'account', id: 'a' });
    expect(r.ok).toBe(false);
  });

  it('refuses a payer type the lane does not carry', () => {
    const r = classifyPayer(
      bank,
      { id: 'cards-only', payerTypes: ['card-on-file'] },
      { kind: 'account', id: 'a' },
    );
    expect(r).toMatchObject({ ok: false, reason: 'PAYER_TYPE_NOT_ALLOWED' });
  });
});
