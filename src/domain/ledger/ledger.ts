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

    // The lines go in first, in one statement; the balance rows are touched last so their row locks
    // (a partner's float is hot) are held for as little of the transaction as possible. Accounts are
    // updated in id order, the same order in every transaction, so a payment and a concurrent
    // reversal can never deadlock on each other's rows.
    const { rows } = await sql<{ id: string }>`
      with e as (
        insert into journal_entries (payment_id, kind, currency, memo)
        values (${entry.paymentId}, ${entry.kind}, ${entry.currency}, ${entry.memo})
        returning id
      )
      insert into journal_lines (entry_id, account_id, currency, side, amount)
      select e.id, l.account_id, ${entry.currency}, l.side, l.amount
      from e, (values ${sql.join(
        entry.lines.map((l) => sql`(${l.accountId}::text, ${l.side}::char(1), ${l.amount}::bigint)`),
      )}) as l (account_id, side, amount)
      returning entry_id as id`.execute(tx);
    const entryId = rows[0]?.id;
    if (entryId === undefined) throw new LedgerIntegrityError('journal entry was not written');

    const deltas = new Map<string, bigint>();
    for (const line of entry.lines) {
      deltas.set(
        line.accountId,
        (deltas.get(line.accountId) ?? 0n) + (line.side === 'C' ? line.amount : -line.amount),
      );
    }
    for (const accountId of [...deltas.keys()].sort()) {
      const delta = deltas.get(accountId) ?? 0n;
      const updated = await tx
        .updateTable('ledger_accounts')
        .set({ balance: sql`balance + ${delta}` })
        .where('id', '=', accountId)
        .where('currency', '=', entry.currency)
        .where((eb) =>
          eb.or([eb('min_balance', 'is', null), eb(sql`balance + ${delta}`, '>=', eb.ref('min_balance'))]),
        )
        .returning('id')
        .executeTakeFirst();
      if (updated === undefined) throw await this.refusal(tx, accountId, entry.currency);
    }
    return String(entryId);
  }

  private async refusal(tx: Tx, accountId: string, currency: string): Promise<Error> {
    const exists = await tx
      .selectFrom('ledger_accounts')
      .select('currency')
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (exists === undefined) return new LedgerIntegrityError(`unknown account ${accountId}`);
    if (exists.currency.trim() !== currency) {
      return new LedgerIntegrityError(`account ${accountId} holds ${exists.currency}, not ${currency}`);
    }
    return new InsufficientFundsError(accountId);
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
