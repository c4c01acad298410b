import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { up as backfill } from '../../src/infrastructure/database/migrations/20261206235000-uetr-claims-backfill';
import { UetrClaims } from '../../src/domain/idempotency/uetr-claims';
import { UetrClaimsRepository } from '../../src/domain/idempotency/uetr-claims.repository';
import { openTestDatabase } from '../support/database';

/*
 * UETR claims on a real database: the first partner to present a UETR owns it, whether the claims
 * come one by one, several in one batched statement (a repeat inside the batch included), or racing
 * from two batchers (two nodes' worth) at once.
 */

let h: Awaited<ReturnType<typeof openTestDatabase>>;
const repository = new UetrClaimsRepository();
const at = new Date('2026-12-06T10:00:00Z');

beforeAll(async () => {
  h = await openTestDatabase();
  await h.db
    .insertInto('partners')
    .values(['bank-a', 'mfs-b'].map((id) => ({ id, name: id, kind: 'bank', payer_types: ['bank-customer'] })))
    .execute();
});
afterAll(async () => {
  await h?.dispose();
});

describe('UETR claims', () => {
  it('give a UETR to the first partner presenting it; the owner sees it as its own again', async () => {
    const uetr = randomUUID();
    expect(await repository.claimMany(h.db, [{ uetr, partnerId: 'bank-a', at }])).toEqual([{ kind: 'ours' }]);
    expect(await repository.claimMany(h.db, [{ uetr, partnerId: 'mfs-b', at }])).toEqual([
      { kind: 'taken', owner: 'bank-a' },
    ]);
    expect(await repository.claimMany(h.db, [{ uetr, partnerId: 'bank-a', at }])).toEqual([{ kind: 'ours' }]);
    const rows = await h.db.selectFrom('uetr_claims').selectAll().where('uetr', '=', uetr).execute();
    expect(rows).toEqual([{ uetr, partner_id: 'bank-a', claimed_at: at }]);
  });

  it('answer every claim of one batch in order, a UETR twice in the batch going to the earlier', async () => {
    const [known, fresh, twice] = [randomUUID(), randomUUID(), randomUUID()];
    await repository.claimMany(h.db, [{ uetr: known, partnerId: 'mfs-b', at }]);
    const answers = await repository.claimMany(h.db, [
      { uetr: twice, partnerId: 'mfs-b', at },
      { uetr: known, partnerId: 'bank-a', at },
      { uetr: fresh, partnerId: 'bank-a', at },
      { uetr: twice, partnerId: 'bank-a', at },
      { uetr: known, partnerId: 'mfs-b', at },
    ]);
    expect(answers).toEqual([
      { kind: 'ours' },
      { kind: 'taken', owner: 'mfs-b' },
      { kind: 'ours' },
      { kind: 'taken', owner: 'mfs-b' },
      { kind: 'ours' },
    ]);
  });

  it('let exactly one of two racing batchers win each UETR', async () => {
    const [a, b] = [new UetrClaims(h.db), new UetrClaims(h.db)];
    const uetrs = Array.from({ length: 40 }, () => randomUUID());
    const answers = await Promise.all(
      uetrs.flatMap((uetr) => [a.claim(uetr, 'bank-a', at), b.claim(uetr, 'mfs-b', at)]),
    );
    for (let i = 0; i < uetrs.length; i += 1) {
      const pair = [answers[2 * i]!, answers[2 * i + 1]!];
      expect(pair.filter((c) => c.kind === 'ours')).toHaveLength(1);
      const owner = pair[0]!.kind === 'ours' ? 'bank-a' : 'mfs-b';
      expect(pair.find((c) => c.kind === 'taken')).toEqual({ kind: 'taken', owner });
    }
    const stored = await h.db.selectFrom('uetr_claims').select('uetr').where('uetr', 'in', uetrs).execute();
    expect(stored).toHaveLength(uetrs.length);
  });

  it('are given, at upgrade, to the partner that first paid under each UETR before the table existed', async () => {
    const [paidTwice, paidOnce] = [randomUUID(), randomUUID()];
    const pay = (partner: string, uetr: string, receivedAt: string) =>
      sql`
      insert into payments (id, partner_id, lane, protocol, payer_type, bill_type, bill_reference, amount,
        currency, payer_kind, payer_id, partner_reference, idempotency_key, status, reason_code, origin, received_at)
      values (${randomUUID()}, ${partner}, 'http-plain', 'iso20022', 'bank-customer', 'ELECTRICITY', 'REF-1', 1000,
        'BDT', 'account', '1001000000001', ${randomUUID()}, ${randomUUID()}, 'APPROVED', 'APPROVED',
        ${JSON.stringify({ messageType: 'pacs.008', uetr })}::jsonb, ${receivedAt}::timestamptz)`.execute(
        h.db,
      );
    // Paid under one UETR by mfs-b first, then (before claims existed) by bank-a: mfs-b's it is.
    await pay('bank-a', paidTwice, '2026-12-05T10:00:01Z');
    await pay('mfs-b', paidTwice, '2026-12-05T10:00:00Z');
    await pay('bank-a', paidOnce, '2026-12-05T11:00:00Z');
    await backfill(h.db as never);
    await backfill(h.db as never); // once more, as a re-run would: nothing changes
    const rows = await h.db
      .selectFrom('uetr_claims')
      .select(['uetr', 'partner_id'])
      .where('uetr', 'in', [paidTwice, paidOnce])
      .orderBy('partner_id')
      .execute();
    expect(rows).toEqual([
      { uetr: paidOnce, partner_id: 'bank-a' },
      { uetr: paidTwice, partner_id: 'mfs-b' },
    ]);
    expect(await repository.claimMany(h.db, [{ uetr: paidTwice, partnerId: 'bank-a', at }])).toEqual([
      { kind: 'taken', owner: 'mfs-b' },
    ]);
  });
});
