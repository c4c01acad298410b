import { sql } from 'kysely';
import type { Executor, Tx } from '../db';

export type Side = 'D' | 'C';

export interface JournalLine {
  readonly accountId: string;
  readonly side: Side;
  readonly amount: bigint;
}

export interface JournalEntry {
  readonly paymentId: string | null;
  readonly kind: 'payment' | 'reversal' | 'funding' | 'adjustment';
  readonly currency: string;
  readonly memo: string;
  readonly lines: readonly JournalLine[];
}

/** An account floor (float or agent balance) would be broken: the posting is refused. */
export class InsufficientFundsError extends Error {
  constructor(readonly accountId: string) {
    super(`insufficient funds in ${accountId}`);
    this.name = 'InsufficientFundsError';
  }
}

export class LedgerIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerIntegrityError';
  }
}

export interface TrialBalanceRow {
  readonly currency: string;
  readonly debits: bigint;
  readonly credits: bigint;
  readonly balanced: boolean;
  /** Stored account balances agree with the sum of their journal lines. */
  readonly accountsAgree: boolean;
}

/**
 * The double-entry ledger. Balances are kept on the account rows (credits minus debits) and moved
 * in the same transaction as the lines; a floor on an account is enforced by a guarded update and,
 * behind it, a CHECK constraint. The database also refuses, at commit, any entry that does not balance.
 */
export class Ledger {
  /** Takes a transaction, not a connection: its balance updates and lines must commit or fail together. */
  async post(tx: Tx, entry: JournalEntry): Promise<string> {
    let net = 0n;
    for (const line of entry.lines) {
      if (line.amount <= 0n) throw new LedgerIntegrityError(`non-positive amount on ${line.accountId}`);
      net += line.side === 'D' ? line.amount : -line.amount;
    }
    if (entry.lines.length < 2 || net !== 0n) {
      throw new LedgerIntegrityError(`journal does not balance (${entry.lines.length} lines, net ${net})`);
    }

    // Debits first: they are the lines that can meet a floor, and refusing before any credit
    // keeps the common refusal cheap.
    const ordered = [...entry.lines].sort((a, b) => (a.side === b.side ? 0 : a.side === 'D' ? -1 : 1));
    for (const line of ordered) {
      const delta = line.side === 'C' ? line.amount : -line.amount;
      const updated = await tx
        .updateTable('ledger_accounts')
        .set({ balance: sql`balance + ${delta}` })
        .where('id', '=', line.accountId)
        .where('currency', '=', entry.currency)
        .where((eb) =>
          eb.or([eb('min_balance', 'is', null), eb(sql`balance + ${delta}`, '>=', eb.ref('min_balance'))]),
        )
        .returning('id')
        .executeTakeFirst();
      if (updated === undefined) {
        const exists = await tx
          .selectFrom('ledger_accounts')
          .select('currency')
          .where('id', '=', line.accountId)
          .executeTakeFirst();
        if (exists === undefined) throw new LedgerIntegrityError(`unknown account ${line.accountId}`);
        if (exists.currency.trim() !== entry.currency) {
          throw new LedgerIntegrityError(
            `account ${line.accountId} holds ${exists.currency}, not ${entry.currency}`,
          );
        }
        throw new InsufficientFundsError(line.accountId);
      }
    }

    const { id } = await tx
      .insertInto('journal_entries')
      .values({ payment_id: entry.paymentId, kind: entry.kind, currency: entry.currency, memo: entry.memo })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('journal_lines')
      .values(
        entry.lines.map((l) => ({
          entry_id: id,
          account_id: l.accountId,
          currency: entry.currency,
          side: l.side,
          amount: l.amount,
        })),
      )
      .execute();
    return String(id);
  }

  async trialBalance(db: Executor): Promise<TrialBalanceRow[]> {
    const lines = await db
      .selectFrom('journal_lines')
      .select([
        'currency',
        sql<bigint>`coalesce(sum(case when side = 'D' then amount else 0 end), 0)::bigint`.as('debits'),
        sql<bigint>`coalesce(sum(case when side = 'C' then amount else 0 end), 0)::bigint`.as('credits'),
      ])
      .groupBy('currency')
      .orderBy('currency')
      .execute();
    const disagreeing = await db
      .selectFrom('ledger_accounts as a')
      .leftJoin(
        (eb) =>
          eb
            .selectFrom('journal_lines')
            .select([
              'account_id',
              sql<bigint>`sum(case when side = 'C' then amount else -amount end)::bigint`.as('net'),
            ])
            .groupBy('account_id')
            .as('l'),
        (j) => j.onRef('l.account_id', '=', 'a.id'),
      )
      .select(['a.currency'])
      .where(sql<boolean>`a.balance <> coalesce(l.net, 0)`)
      .execute();
    const badCurrencies = new Set(disagreeing.map((r) => r.currency.trim()));
    return lines.map((r) => {
      const currency = r.currency.trim();
      const debits = BigInt(r.debits);
      const credits = BigInt(r.credits);
      return {
        currency,
        debits,
        credits,
        balanced: debits === credits,
        accountsAgree: !badCurrencies.has(currency),
      };
    });
  }

  async balanceOf(db: Executor, accountId: string): Promise<bigint | undefined> {
    const row = await db
      .selectFrom('ledger_accounts')
      .select('balance')
      .where('id', '=', accountId)
      .executeTakeFirst();
    return row === undefined ? undefined : BigInt(row.balance);
  }
}
