import { sql } from 'kysely';
import type { Executor, Tx } from '../db';
import { postingLinesOf, writeJournal, type JournalKind } from './journal-writer';

export type Side = 'D' | 'C';

export interface JournalLine {
  readonly accountId: string;
  readonly side: Side;
  readonly amount: bigint;
}

export interface JournalEntry {
  readonly paymentId: string | null;
  readonly kind: JournalKind;
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

export interface AccountInfo {
  readonly currency: string;
  readonly guarded: boolean;
}

/**
 * The double-entry ledger. Every entry's lines are written in one statement and the database refuses,
 * at commit, any entry that does not balance.
 *
 * Only accounts with a floor (a partner's float, an agent's account) keep a stored balance, moved in
 * the same transaction by a guarded update with a CHECK constraint behind it: that is where "never
 * below zero" must be decided under a row lock. Settlement, clearing and funding accounts have no
 * floor and are credited by every payment of a bill type; a stored balance there would make every
 * payment queue on one row, so their balance is the sum of their lines.
 */
export class Ledger {
  private readonly accounts = new Map<string, AccountInfo>();

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

    const deltas = new Map<string, bigint>();
    for (const line of entry.lines) {
      deltas.set(
        line.accountId,
        (deltas.get(line.accountId) ?? 0n) + (line.side === 'C' ? line.amount : -line.amount),
      );
    }
    const guarded = new Set<string>();
    for (const accountId of deltas.keys()) {
      const account = await this.account(tx, accountId);
      if (account === undefined) throw new LedgerIntegrityError(`unknown account ${accountId}`);
      if (account.currency !== entry.currency) {
        throw new LedgerIntegrityError(
          `account ${accountId} holds ${account.currency}, not ${entry.currency}`,
        );
      }
      if (account.guarded) guarded.add(accountId);
    }

    // The lines go in first, in one statement; the balance rows are touched last so their row locks
    // (a partner's float is hot) are held for as little of the transaction as possible. Accounts are
    // updated in id order, the same order in every transaction, so a payment and a concurrent
    // reversal can never deadlock on each other's rows.
    const entryId = await writeJournal(tx, entry);
    if (entryId === undefined) throw new LedgerIntegrityError('journal entry was not written');

    for (const accountId of [...deltas.keys()].sort()) {
      if (!guarded.has(accountId)) continue;
      const delta = deltas.get(accountId) ?? 0n;
      const updated = await tx
        .updateTable('ledger_accounts')
        .set({ balance: sql`balance + ${delta}` })
        .where('id', '=', accountId)
        .where(sql<boolean>`balance + ${delta} >= min_balance`)
        .returning('id')
        .executeTakeFirst();
      if (updated === undefined) throw new InsufficientFundsError(accountId);
    }
    return entryId;
  }

  /**
   * Reverses a payment's posting by mirroring it: the same accounts and amounts, sides swapped, so a
   * reversal is always the exact opposite of what was posted, whichever engine posted it. Floors are
   * honoured as in any posting. Undefined when the payment has no posting (nothing to undo).
   */
  async reverseOf(tx: Tx, paymentId: string, memo: string): Promise<string | undefined> {
    const posting = await postingLinesOf(tx, paymentId);
    if (posting === undefined) return undefined;
    return this.post(tx, {
      paymentId,
      kind: 'reversal',
      currency: posting.currency,
      memo,
      lines: posting.lines.map((l) => ({ ...l, side: l.side === 'D' ? 'C' : 'D' })),
    });
  }

  /**
   * Which journals a payment has: its posting and its reversal. A payment is "in our ledger" when it
   * has a posting not yet reversed; reversing one that has none would create money.
   */
  async postingsOf(db: Executor, paymentId: string): Promise<{ posted: boolean; reversed: boolean }> {
    const rows = await db
      .selectFrom('journal_entries')
      .select('kind')
      .where('payment_id', '=', paymentId)
      .where('kind', 'in', ['payment', 'reversal'])
      .execute();
    return {
      posted: rows.some((r) => r.kind === 'payment'),
      reversed: rows.some((r) => r.kind === 'reversal'),
    };
  }

  /**
   * Whether an account keeps a stored, floor-guarded balance (floats, agent accounts), and its
   * currency. Both are fixed when the account is opened, so they are remembered per process.
   */
  async account(tx: Executor, accountId: string): Promise<AccountInfo | undefined> {
    const known = this.accounts.get(accountId);
    if (known !== undefined) return known;
    const row = await tx
      .selectFrom('ledger_accounts')
      .select(['currency', 'min_balance'])
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const info = { currency: row.currency.trim(), guarded: row.min_balance !== null };
    this.accounts.set(accountId, info);
    return info;
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
      .where('a.min_balance', 'is not', null)
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

  /** Credits minus debits: stored for floor-guarded accounts, summed from the lines for the others. */
  async balanceOf(db: Executor, accountId: string): Promise<bigint | undefined> {
    const row = await db
      .selectFrom('ledger_accounts')
      .select(['balance', 'min_balance'])
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    if (row.min_balance !== null) return BigInt(row.balance);
    const { rows } = await sql<{ net: bigint | null }>`
      select sum(case when side = 'C' then amount else -amount end)::bigint as net
      from journal_lines where account_id = ${accountId}`.execute(db);
    return BigInt(rows[0]?.net ?? 0n);
  }
}
