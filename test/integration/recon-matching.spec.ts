import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { dayWindow } from '../../src/domain/recon/business-day';
import { openTestDatabase } from '../support/database';
import { billerCsv, insertPayment, reconOf, seedReconDemo, tempFile, TZ } from './recon-fixtures';

const DAY = '2026-12-02';

describe('matching a file that carries our payment ids: keys in order, one-to-one', () => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    h = await openTestDatabase();
    await seedReconDemo(h.db);
  });
  afterAll(async () => h?.dispose());

  it('falls back to the receipt for rows whose id is empty or not ours, and names duplicates, ambiguity and strangers', async () => {
    const recon = reconOf(h.db);
    const byId = await insertPayment(h.db, { date: DAY });
    const noId = await insertPayment(h.db, { date: DAY });
    const foreignId = await insertPayment(h.db, { date: DAY });
    await insertPayment(h.db, { date: DAY, receipt: 'ELECTRICITY-TWIN' });
    await insertPayment(h.db, { date: DAY, receipt: 'ELECTRICITY-TWIN' });
    const row = (receipt: string, id: string) => ({ receipt, id, amount: byId.amountMinor, date: DAY });
    const text = billerCsv([
      row(byId.receipt!, byId.id), // line 2: by our id
      row(noId.receipt!, ''), // line 3: no id, by receipt
      row(foreignId.receipt!, randomUUID()), // line 4: an id that is not ours, by receipt
      row('ELECTRICITY-NOBODY', randomUUID()), // line 5: neither
      row('ELECTRICITY-AGAIN', byId.id), // line 6: our id again
      row('ELECTRICITY-TWIN', randomUUID()), // line 7: a receipt two of our payments carry
    ]);
    const stored = await recon.intake.ingest({
      path: tempFile('b.csv', text),
      source: 'biller',
      sourceId: 'sim-electricity',
      businessDate: DAY,
      receivedVia: 'cli',
      receivedBy: 'spec',
    });
    expect(stored.outcome).toBe('stored');
    if (stored.outcome !== 'stored') return;
    const day = dayWindow(DAY, TZ);
    const counts = await h.db.transaction().execute(async (tx) =>
      recon.matches.match(tx, {
        fileId: stored.file.id,
        source: 'biller',
        sourceId: 'sim-electricity',
        from: day.start,
        to: day.end,
        dayStart: day.start,
        dayEnd: day.end,
      }),
    );
    expect(counts).toEqual({ matched: 3, ambiguous: 1, duplicate: 1 });
    const { rows } = await sql<{
      line_no: number;
      payment_id: string | null;
      match_key: string | null;
      outcome: string;
      candidates: number;
    }>`select line_no, payment_id, match_key, outcome, candidates from recon_matches
       where file_id = ${stored.file.id} order by line_no`.execute(h.db);
    expect(rows).toEqual([
      { line_no: 2, payment_id: byId.id, match_key: 'payment-id', outcome: 'matched', candidates: 1 },
      { line_no: 3, payment_id: noId.id, match_key: 'biller-receipt', outcome: 'matched', candidates: 1 },
      {
        line_no: 4,
        payment_id: foreignId.id,
        match_key: 'biller-receipt',
        outcome: 'matched',
        candidates: 1,
      },
      { line_no: 5, payment_id: null, match_key: null, outcome: 'unmatched', candidates: 0 },
      { line_no: 6, payment_id: byId.id, match_key: 'payment-id', outcome: 'duplicate', candidates: 1 },
      { line_no: 7, payment_id: null, match_key: 'biller-receipt', outcome: 'ambiguous', candidates: 2 },
    ]);
  });
});
