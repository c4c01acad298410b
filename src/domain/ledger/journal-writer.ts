import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../db';

/**
 * The one place journal rows are written. Three writers post journals: the ledger itself (any number
 * of lines, one entry at a time, inside a transaction), and the two group-commit writers that journal
 * many payments in one statement (MFS float payments, core-banking debits). They all go through
 * here, with the memos below, so an entry always has the same shape and wording whoever wrote it;
 * the database refuses, at commit, any entry that does not balance.
 */

export type JournalKind = 'payment' | 'reversal' | 'funding' | 'adjustment';

/** What a payment's posting says, by engine. */
export const memos = {
  float: (paymentId: string, partnerId: string) => `bill payment ${paymentId} from float of ${partnerId}`,
  coreBanking: (paymentId: string) => `bill payment ${paymentId} debited at core banking`,
  agentCash: (paymentId: string, agentId: string) => `bill payment ${paymentId} in cash at agent ${agentId}`,
} as const;

export interface JournalLineInput {
  readonly accountId: string;
  readonly side: 'D' | 'C';
  readonly amount: bigint;
}

/** Writes one entry and its lines in one statement; answers the entry id (undefined if nothing was written). */
export async function writeJournal(
  db: Executor,
  entry: {
    readonly paymentId: string | null;
    readonly kind: JournalKind;
    readonly currency: string;
    readonly memo: string;
    readonly lines: readonly JournalLineInput[];
  },
): Promise<string | undefined> {
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
    returning entry_id as id`.execute(db);
  return rows[0] === undefined ? undefined : String(rows[0].id);
}

/**
 * The CTEs of a group-commit statement that journal one two-line payment posting per row of
 * `source`, a query answering (payment_id uuid, currency text, memo text, debit_account text,
 * credit_account text, amount bigint): `${journalCtes(sql`select ... from input where ...`)}` placed
 * after the statement's other CTEs (it starts with a comma).
 */
export function journalCtes(source: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`,
    journal_source as (${source}),
    journal_entry as (
      insert into journal_entries (payment_id, kind, currency, memo)
      select payment_id, 'payment', currency, memo from journal_source
      returning id, payment_id
    ),
    journal_line as (
      insert into journal_lines (entry_id, account_id, currency, side, amount)
      select e.id, l.account_id, s.currency, l.side, s.amount
      from journal_entry e
      join journal_source s on s.payment_id = e.payment_id
      cross join lateral (values (s.debit_account, 'D'::char(1)), (s.credit_account, 'C'::char(1)))
        as l (account_id, side)
    )`;
}

/** The lines of a payment's posting, to be mirrored by its reversal. */
export async function postingLinesOf(
  db: Executor,
  paymentId: string,
): Promise<{ currency: string; lines: JournalLineInput[] } | undefined> {
  const rows = await db
    .selectFrom('journal_entries as e')
    .innerJoin('journal_lines as l', 'l.entry_id', 'e.id')
    .select(['e.currency', 'l.account_id', 'l.side', 'l.amount'])
    .where('e.payment_id', '=', paymentId)
    .where('e.kind', '=', 'payment')
    .orderBy('l.id')
    .execute();
  const first = rows[0];
  if (first === undefined) return undefined;
  return {
    currency: first.currency.trim(),
    lines: rows.map((r) => ({
      accountId: r.account_id,
      side: r.side,
      amount: BigInt(r.amount),
    })),
  };
}
