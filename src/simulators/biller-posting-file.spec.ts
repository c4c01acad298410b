import { BillerSimulator } from './biller-simulator';
import { addPostingFile } from './biller-posting-file';

describe('biller simulator: the daily posting file, with injected faults', () => {
  let now = new Date('2026-12-02T04:00:00Z'); // 10:00 in Dhaka
  const sim = new BillerSimulator({ now: () => now });
  addPostingFile(sim);
  beforeAll(() => sim.start(0));
  afterAll(() => sim.stop());

  const pay = async (paymentId: string, amountMinor: string): Promise<string> => {
    const res = await fetch(`${sim.url}/billers/electricity/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paymentId, billReference: 'DESCO-1', amountMinor, currency: 'BDT' }),
    });
    return ((await res.json()) as { receipt: string }).receipt;
  };
  const file = async (date: string): Promise<string[]> => {
    const res = await fetch(`${sim.url}/billers/electricity/posting-file?date=${date}`);
    expect(res.headers.get('content-type')).toContain('text/csv');
    return (await res.text()).trim().split('\n');
  };

  it('lists what the biller was paid that day, reversals as REVERSED, and carries the faults it is told to', async () => {
    const r1 = await pay('p-1', '125050');
    const r2 = await pay('p-2', '30000');
    const r3 = await pay('p-3', '99');
    const r4 = await pay('p-4', '100000');
    const r5 = await pay('p-5', '700');
    sim.book.markReversed('p-4', now);
    now = new Date('2026-12-02T19:00:00Z'); // the next day in Dhaka
    await pay('p-late', '5000');

    expect(await file('2026-12-02')).toEqual([
      'receipt,payment_id,bill_reference,amount,currency,status,posted_on',
      `${r1},p-1,DESCO-1,1250.50,BDT,PAID,2026-12-02`,
      `${r2},p-2,DESCO-1,300.00,BDT,PAID,2026-12-02`,
      `${r3},p-3,DESCO-1,0.99,BDT,PAID,2026-12-02`,
      `${r4},p-4,DESCO-1,1000.00,BDT,REVERSED,2026-12-02`,
      `${r5},p-5,DESCO-1,7.00,BDT,PAID,2026-12-02`,
    ]);

    const put = await fetch(`${sim.url}/billers/electricity/control/posting-faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        faults: [
          { paymentId: 'p-1', kind: 'drop' },
          { paymentId: 'p-2', kind: 'amount', amountMinor: '29000' },
          { paymentId: 'p-3', kind: 'status' },
          { paymentId: 'p-5', kind: 'date' },
        ],
      }),
    });
    expect(put.status).toBe(200);
    expect(await file('2026-12-02')).toEqual([
      'receipt,payment_id,bill_reference,amount,currency,status,posted_on',
      `${r2},p-2,DESCO-1,290.00,BDT,PAID,2026-12-02`,
      `${r3},p-3,DESCO-1,0.99,BDT,FAILED,2026-12-02`,
      `${r4},p-4,DESCO-1,1000.00,BDT,REVERSED,2026-12-02`,
      `${r5},p-5,DESCO-1,7.00,BDT,PAID,2026-12-03`,
    ]);
    await fetch(`${sim.url}/billers/electricity/control/posting-faults`, { method: 'DELETE' });
    expect(await file('2026-12-02')).toHaveLength(6);
    const bad = await fetch(`${sim.url}/billers/electricity/control/posting-faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ faults: [{ paymentId: 'p-1', kind: 'explode' }] }),
    });
    expect(bad.status).toBe(400);
    // A day the biller was paid nothing: a file with its header only.
    expect(await file('2026-11-01')).toEqual([
      'receipt,payment_id,bill_reference,amount,currency,status,posted_on',
    ]);
  });
});
