import { BillerSimulator } from './biller-simulator';

describe('routes a simulator capability adds for itself', () => {
  const sim = new BillerSimulator();
  beforeAll(async () => {
    sim.addRoute('GET', '/billers/:billerId/postings', ({ params, query }) => ({
      status: 200,
      contentType: 'text/csv',
      body: `biller,date\n${params.billerId},${query.get('date') ?? ''}\n`,
    }));
    await sim.start(0);
  });
  afterAll(() => sim.stop());

  it('answers with its captures, the query string and its own content type', async () => {
    const res = await fetch(`${sim.url}/billers/desco/postings?date=2026-12-01`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv');
    expect(await res.text()).toBe('biller,date\ndesco,2026-12-01\n');
  });

  it('leaves the built-in payment endpoint as it was', async () => {
    const res = await fetch(`${sim.endpoint('desco')}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paymentId: 'p-1', billReference: 'ACC-1', amountMinor: '100', currency: 'BDT' }),
    });
    expect(await res.json()).toEqual({ status: 'PAID', receipt: 'DESCO-00000001' });
    expect(sim.book.find('p-1')).toMatchObject({ billerId: 'DESCO', currency: 'BDT', amountMinor: '100' });
  });
});
