import { sql } from 'kysely';
import { MicroBatcher } from '../../infrastructure/batching/micro-batcher';
import type { Db, Executor } from '../db';
import { isDataError, isUniqueViolation } from '../db';
import { journalCtes, memos } from '../ledger/journal-writer';
import { claimRow, type PaymentClaim } from '../payments/payments.repository';

export interface FloatPaymentWrite extends PaymentClaim {
  readonly floatAccount: string;
  readonly settlementAccount: string;
  /** The answer to store with the idempotency key when the float does not cover the payment. */
  readonly declinedResult: unknown;
}

export type FloatWriteOutcome = 'posted' | 'declined' | 'duplicate';

/** How many times a careful write is retried when another node claims one of its keys meanwhile. */
const CAREFUL_ATTEMPTS = 3;

/**
 * The MFS float fast path. For each payment it claims the idempotency key, debits the float (never
 * below its floor), credits the settlement account, writes the journal and records the payment.
 *
 * Every payment of a partner debits the same float row, and PostgreSQL holds that row's lock until
 * the debiting statement commits: one statement per payment caps a partner at one payment per
 * commit (~900/s here). So concurrent payments on one float are written together: one statement
 * claims, debits the sum, journals and records all of them (group commit, see MicroBatcher), and
 * the lock is taken once per batch instead of once per payment.
 *
 * The common case is that the float covers the whole batch and no key repeats: one statement whose
 * debit is guarded by the floor, so it writes nothing at all if the sum does not fit. Otherwise the
 * careful path locks the float, sees which keys are already taken, and decides each payment in
 * arrival order (a payment the float cannot cover is declined; later smaller ones may still pass),
 * then writes those decisions in the same statement shape, inside that transaction.
 */
export class FloatPaymentWriter {
  private readonly batchers = new Map<string, MicroBatcher<FloatPaymentWrite, FloatWriteOutcome>>();

  constructor(
    private readonly db: Db,
    private readonly options: { readonly maxBatch: number; readonly observe?: (size: number) => void } = {
      maxBatch: 256,
    },
  ) {}

  write(w: FloatPaymentWrite): Promise<FloatWriteOutcome> {
    let batcher = this.batchers.get(w.floatAccount);
    if (batcher === undefined) {
      const account = w.floatAccount;
      // One run at a time per float: runs would only queue behind each other on the row lock.
      batcher = new MicroBatcher((items) => this.writeBatch(account, items), {
        ...this.options,
        maxInFlight: 1,
        isolate: isDataError,
      });
      this.batchers.set(account, batcher);
    }
    return batcher.submit(w);
  }

  /** Writes payments that all debit `floatAccount`; one outcome per payment, in order. */
  async writeBatch(floatAccount: string, items: readonly FloatPaymentWrite[]): Promise<FloatWriteOutcome[]> {
    try {
      const debited = await writeStatement(this.db, floatAccount, items.map(posted), 'guarded');
      if (debited) return items.map(() => 'posted');
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.writeCarefully(floatAccount, items);
      } catch (error) {
        // A key committed by another node while we waited for the float's lock is not in the look
        // taken before the wait (one snapshot per statement): the insert refuses it, so look again.
        if (!isUniqueViolation(error) || attempt >= CAREFUL_ATTEMPTS) throw error;
      }
    }
  }

  private writeCarefully(
    floatAccount: string,
    items: readonly FloatPaymentWrite[],
  ): Promise<FloatWriteOutcome[]> {
    return this.db.transaction().execute(async (tx) => {
      const { available, taken } = await lockAndInspect(tx, floatAccount, items);
      const outcomes = decideInOrder(
        available,
        items.map((w) => ({ amount: w.payment.amountMinor, key: scopedKey(w.idempotency) })),
        taken,
      );
      const rows: DecidedWrite[] = [];
      items.forEach((w, i) => {
        const outcome = outcomes[i];
        if (outcome !== 'duplicate') rows.push({ write: w, posted: outcome === 'posted' });
      });
      if (rows.length > 0) await writeStatement(tx, floatAccount, rows, 'decided');
      return outcomes;
    });
  }
}

interface DecidedWrite {
  readonly write: FloatPaymentWrite;
  readonly posted: boolean;
}

function posted(write: FloatPaymentWrite): DecidedWrite {
  return { write, posted: true };
}

function scopedKey(k: { partnerId: string; scope: string; key: string }): string {
  return `${k.partnerId}\u0000${k.scope}\u0000${k.key}`;
}

/**
 * Decides payments in arrival order against what the float can give: a repeated key (already in
 * the table, or earlier in the same batch) is a duplicate and takes nothing; a payment the float
 * cannot cover is declined and takes nothing, so a later, smaller one may still be posted.
 */
export function decideInOrder(
  available: bigint,
  payments: readonly { readonly amount: bigint; readonly key: string }[],
  taken: ReadonlySet<string>,
): FloatWriteOutcome[] {
  const seen = new Set(taken);
  let left = available;
  return payments.map(({ amount, key }) => {
    if (seen.has(key)) return 'duplicate';
    seen.add(key);
    if (amount > left) return 'declined';
    left -= amount;
    return 'posted';
  });
}

/** Locks the float row and reads what it can give, and which of these keys already exist. */
async function lockAndInspect(
  tx: Executor,
  floatAccount: string,
  items: readonly FloatPaymentWrite[],
): Promise<{ available: bigint; taken: Set<string> }> {
  const keys = JSON.stringify(
    items.map((w) => ({
      partner_id: w.idempotency.partnerId,
      scope: w.idempotency.scope,
      key: w.idempotency.key,
    })),
  );
  const { rows } = await sql<{
    available: string | null;
    taken: { partner_id: string; scope: string; key: string }[];
  }>`
    with float as (
      select balance - coalesce(min_balance, 0) as available from ledger_accounts where id = ${floatAccount}
      for no key update
    )
    select
      (select available from float)::text as available,
      coalesce((
        select jsonb_agg(jsonb_build_object('partner_id', k.partner_id, 'scope', k.scope, 'key', k.key))
        from idempotency_keys k
        join jsonb_to_recordset(${keys}::jsonb) as i (partner_id text, scope text, key text)
          on k.partner_id = i.partner_id and k.scope = i.scope and k.key = i.key
      ), '[]'::jsonb) as taken`.execute(tx);
  const row = rows[0];
  // A float that vanished can give nothing: every payment is declined, none is lost.
  const available = row?.available == null ? 0n : BigInt(row.available);
  return {
    available: available > 0n ? available : 0n,
    taken: new Set(
      (row?.taken ?? []).map((k) => scopedKey({ partnerId: k.partner_id, scope: k.scope, key: k.key })),
    ),
  };
}

/**
 * One statement for the whole batch. 'guarded': the debit of the sum must keep the float at or
 * above its floor, and nothing is written unless it does (the caller then decides carefully).
 * 'decided': the caller holds the float's lock and has already decided each payment.
 * Returns whether the batch was written.
 */
async function writeStatement(
  db: Executor,
  floatAccount: string,
  rows: readonly DecidedWrite[],
  mode: 'guarded' | 'decided',
): Promise<boolean> {
  let total = 0n;
  const input = rows.map(({ write: w, posted: isPosted }) => {
    if (isPosted) total += w.payment.amountMinor;
    return {
      ...claimRow(w),
      // The credit line goes here; status and reason come from the decision, in the statement.
      settlement_account: w.settlementAccount,
      memo: memos.float(w.payment.id, w.payment.partnerId),
      posted: isPosted,
      declined_result: isPosted ? null : w.declinedResult,
    };
  });
  const guarded = mode === 'guarded';
  const floor = guarded ? sql`and balance - ${total} >= coalesce(min_balance, 0)` : sql``;
  const onlyIfDebited = guarded ? sql`and exists (select 1 from debit)` : sql``;
  const { rows: result } = await sql<{ debited: number }>`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as t (
        id uuid, partner_id text, lane text, protocol text, payer_type text, bill_type text,
        bill_reference text, amount bigint, currency text, payer_kind text, payer_id text,
        partner_reference text, idempotency_key text, route_rule_id uuid, route_version int,
        biller_endpoint text, settlement_account text, origin jsonb, received_at timestamptz,
        created_at timestamptz, idem_partner text, idem_scope text, idem_key text, fingerprint text,
        expires_at timestamptz, memo text, posted boolean, declined_result jsonb
      )
    ),
    debit as (
      update ledger_accounts set balance = balance - ${total}
      where id = ${floatAccount} and ${total}::bigint > 0 ${floor}
      returning id
    ),
    claim as (
      insert into idempotency_keys
        (partner_id, scope, key, fingerprint, state, payment_id, result, created_at, updated_at, expires_at)
      select idem_partner, idem_scope, idem_key, fingerprint,
        case when posted then 'in_flight' else 'completed' end, id,
        case when posted then null else declined_result end, created_at, created_at, expires_at
      from input where true ${onlyIfDebited}
      -- keys in one order on every node, so two batches sharing keys cannot deadlock
      order by idem_partner, idem_scope, idem_key
    ),
    pay as (
      insert into payments
        (id, partner_id, lane, protocol, payer_type, bill_type, bill_reference, amount, currency, payer_kind,
         payer_id, partner_reference, idempotency_key, status, reason_code, route_rule_id, route_version,
         biller_endpoint, settlement_account, origin, received_at, created_at, updated_at)
      select id, partner_id, lane, protocol, payer_type, bill_type, bill_reference, amount, currency, payer_kind,
        payer_id, partner_reference, idempotency_key,
        case when posted then 'POSTED' else 'DECLINED' end,
        case when posted then 'APPROVED' else 'INSUFFICIENT_FUNDS' end,
        route_rule_id, route_version, biller_endpoint, settlement_account, origin, received_at, created_at, created_at
      from input where true ${onlyIfDebited}
    )
    ${journalCtes(sql`
      select id as payment_id, currency, memo, ${floatAccount}::text as debit_account,
        settlement_account as credit_account, amount
      from input where posted ${onlyIfDebited}`)}
    select (select count(*) from debit)::int as debited`.execute(db);
  return mode === 'decided' || (result[0]?.debited ?? 0) > 0;
}
