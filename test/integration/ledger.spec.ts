import { sql } from 'kysely';
import { InsufficientFundsError, Ledger, LedgerIntegrityError } from '../../src/domain/ledger/ledger';
import { migrateDown, migrateToLatest } from '../../src/infrastructure/database/migrator';
import { openTestDatabase } from '../support/database';

let h: Awaited<ReturnType<typeof openTestDatabase>>;
const ledger = new Ledger();

beforeAll(async () => {
  h = await openTestDatabase();
  await h.db
    .insertInto('ledger_accounts')
    .values([
      { id: 'funding', kind: 'funding', currency: 'BDT', min_balance: null },
      { id: 'float', kind: 'float', currency: 'BDT', min_balance: 0n },
      { id: 'settle', kind: 'settlement', currency: 'BDT', min_balance: null },
      { id: 'usd-settle', kind: 'settlement', currency: 'USD', min_balance: null },
    ])
    .execute();
  await h.db.transaction().execute((tx) =>
    ledger.post(tx, {
      paymentId: null,
      kind: 'funding',
      currency: 'BDT',
      memo: 'fund',
      lines: [
        { accountId: 'funding', side: 'D', amount: 10_000n },
        { accountId: 'float', side: 'C', amount: 10_000n },
      ],
    }),
  );
});
afterAll(async () => {
  await h?.dispose();
});

const move = (amount: bigint) => ({
  paymentId: null,
  kind: 'adjustment' as const,
  currency: 'BDT',
  memo: 'test',
  lines: [
    { accountId: 'float', side: 'D' as const, amount },
    { accountId: 'settle', side: 'C' as const, amount },
  ],
});

describe('ledger on a real database', () => {
  it('keeps balances as credits minus debits', async () => {
    await h.db.transaction().execute((tx) => ledger.post(tx, move(2_500n)));
    expect(await ledger.balanceOf(h.db, 'float')).toBe(7_500n);
    expect(await ledger.balanceOf(h.db, 'settle')).toBe(2_500n);
  });

  it('refuses to take a float below zero and leaves it untouched', async () => {
    await expect(
      h.db.transaction().execute((tx) => ledger.post(tx, move(1_000_000n))),
    ).rejects.toBeInstanceOf(InsufficientFundsError);
    expect(await ledger.balanceOf(h.db, 'float')).toBe(7_500n);
  });

  it('refuses an unbalanced journal in code', async () => {
    await expect(
      h.db.transaction().execute((tx) =>
        ledger.post(tx, {
          ...move(1n),
          lines: [
            { accountId: 'float', side: 'D', amount: 2n },
            { accountId: 'settle', side: 'C', amount: 1n },
          ],
        }),
      ),
    ).rejects.toBeInstanceOf(LedgerIntegrityError);
  });

  it('the database itself refuses an unbalanced journal at commit', async () => {
    await expect(
      h.db.transaction().execute(async (tx) => {
        const { id } = await tx
          .insertInto('journal_entries')
          .values({ payment_id: null, kind: 'adjustment', currency: 'BDT', memo: 'bypass' })
          .returning('id')
          .executeTakeFirstOrThrow();
        await tx
          .insertInto('journal_lines')
          .values({ entry_id: id, account_id: 'settle', currency: 'BDT', side: 'D', amount: 5n })
          .execute();
      }),
    ).rejects.toThrow(/does not balance/);
  });

  it('the database refuses a negative float balance even when written directly', async () => {
    await expect(
      sql`update ledger_accounts set balance = -1 where id = 'float'`.execute(h.db),
    ).rejects.toThrow(/balance_floor/);
  });

  it('a line must be in its account currency', async () => {
    await expect(
      h.db.transaction().execute((tx) =>
        ledger.post(tx, {
          ...move(1n),
          lines: [
            { accountId: 'float', side: 'D', amount: 1n },
            { accountId: 'usd-settle', side: 'C', amount: 1n },
          ],
        }),
      ),
    ).rejects.toThrow(/USD/);
  });

  it('concurrent debits never overdraw: exactly as many succeed as the float covers', async () => {
    const start = (await ledger.balanceOf(h.db, 'float'))!;
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, () => h.db.transaction().execute((tx) => ledger.post(tx, move(500n)))),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBe(Number(start / 500n));
    expect(await ledger.balanceOf(h.db, 'float')).toBe(start - BigInt(ok) * 500n);
    const tb = await ledger.trialBalance(h.db);
    expect(tb).toEqual([expect.objectContaining({ currency: 'BDT', balanced: true, accountsAgree: true })]);
  });

  it('money survives beyond 2^53 minor units', async () => {
    const big = 9_007_199_254_740_993n;
    await h.db.transaction().execute((tx) =>
      ledger.post(tx, {
        paymentId: null,
        kind: 'funding',
        currency: 'BDT',
        memo: 'big',
        lines: [
          { accountId: 'funding', side: 'D', amount: big },
          { accountId: 'settle', side: 'C', amount: big },
        ],
      }),
    );
    const row = await h.db
      .selectFrom('journal_lines')
      .select('amount')
      .where('amount', '=', big)
      .executeTakeFirst();
    expect(row?.amount).toBe(big);
  });
});

describe('migrations', () => {
  it('go down and up again cleanly', async () => {
    const fresh = await openTestDatabase();
    try {
      let down: string[] = [];
      do down = await migrateDown(fresh.db as never);
      while (down.length > 0);
      const { rows } = await sql<{
        n: bigint;
      }>`select count(*) as n from information_schema.tables where table_name = 'payments'`.execute(fresh.db);
      expect(Number(rows[0]?.n)).toBe(0);
      expect((await migrateToLatest(fresh.db as never)).length).toBeGreaterThan(0);
    } finally {
      await fresh.dispose();
    }
  });
});
