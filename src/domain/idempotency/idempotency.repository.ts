import { sql, type ExpressionBuilder } from 'kysely';
import type { Database } from '../../infrastructure/database/schema';
import type { Executor } from '../db';

export interface IdempotencyScope {
  readonly partnerId: string;
  /** Which family of calls the key belongs to (REST bill-pay, ISO 8583 financial, ISO 20022...). */
  readonly scope: string;
  readonly key: string;
}

export type BeginOutcome =
  | { readonly kind: 'new' }
  | { readonly kind: 'replay'; readonly result: unknown; readonly paymentId: string | null }
  | { readonly kind: 'conflict'; readonly paymentId: string | null }
  | { readonly kind: 'in-flight'; readonly paymentId: string | null };

/**
 * Idempotency rests on the table's primary key (partner, scope, key): whichever node inserts first
 * owns the request; a concurrent insert of the same key waits for that transaction and then sees
 * the row. Nothing here depends on one node's memory.
 */
export class IdempotencyRepository {
  constructor(private readonly retentionHours: number) {}

  async begin(
    tx: Executor,
    id: IdempotencyScope,
    fingerprint: string,
    paymentId: string | null,
    now: Date,
  ): Promise<BeginOutcome> {
    const inserted = await tx
      .insertInto('idempotency_keys')
      .values({
        partner_id: id.partnerId,
        scope: id.scope,
        key: id.key,
        fingerprint,
        state: 'in_flight',
        payment_id: paymentId,
        created_at: now,
        updated_at: now,
        expires_at: this.expiryFrom(now),
      })
      .onConflict((oc) => oc.columns(['partner_id', 'scope', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted !== undefined) return { kind: 'new' };

    return this.existing(tx, id, fingerprint);
  }

  /** What an earlier request under this key says about a new one with this fingerprint. */
  async existing(
    db: Executor,
    id: IdempotencyScope,
    fingerprint: string,
  ): Promise<Exclude<BeginOutcome, { kind: 'new' }>> {
    const existing = await db
      .selectFrom('idempotency_keys')
      .select(['fingerprint', 'state', 'result', 'payment_id'])
      .where('partner_id', '=', id.partnerId)
      .where('scope', '=', id.scope)
      .where('key', '=', id.key)
      .executeTakeFirstOrThrow();
    if (existing.fingerprint !== fingerprint) return { kind: 'conflict', paymentId: existing.payment_id };
    if (existing.state === 'in_flight') return { kind: 'in-flight', paymentId: existing.payment_id };
    return { kind: 'replay', result: existing.result, paymentId: existing.payment_id };
  }

  /** The stored answer of a completed key; undefined while it is in flight (or unknown). */
  async completedResult(db: Executor, id: IdempotencyScope): Promise<unknown> {
    const row = await db
      .selectFrom('idempotency_keys')
      .select(['state', 'result'])
      .where('partner_id', '=', id.partnerId)
      .where('scope', '=', id.scope)
      .where('key', '=', id.key)
      .executeTakeFirst();
    return row?.state === 'completed' ? (row.result ?? undefined) : undefined;
  }

  expiryFrom(now: Date): Date {
    return new Date(now.getTime() + this.retentionHours * 3_600_000);
  }

  /**
   * Locks a key for the rest of the transaction. A transaction that will change a payment and then
   * complete its key takes the key first, the order the housekeeping sweep uses, so they never deadlock.
   */
  async lock(tx: Executor, id: IdempotencyScope): Promise<void> {
    await tx
      .selectFrom('idempotency_keys')
      .select('key')
      .where('partner_id', '=', id.partnerId)
      .where('scope', '=', id.scope)
      .where('key', '=', id.key)
      .forUpdate()
      .execute();
  }

  /**
   * Locks the key a payment was made under, found by the payment (paths that decide a payment later:
   * its resolution, an ops decision). Undefined when the key is gone (purged after its retention).
   */
  async lockByPayment(tx: Executor, paymentId: string): Promise<IdempotencyScope | undefined> {
    const row = await tx
      .selectFrom('idempotency_keys')
      .select(['partner_id', 'scope', 'key'])
      .where('payment_id', '=', paymentId)
      .forUpdate()
      .executeTakeFirst();
    return row === undefined ? undefined : { partnerId: row.partner_id, scope: row.scope, key: row.key };
  }

  async complete(tx: Executor, id: IdempotencyScope, result: unknown, now: Date): Promise<void> {
    await tx
      .updateTable('idempotency_keys')
      .set({ state: 'completed', result: JSON.stringify(result), updated_at: now })
      .where('partner_id', '=', id.partnerId)
      .where('scope', '=', id.scope)
      .where('key', '=', id.key)
      .execute();
  }

  /**
   * Claims a key that no request has used yet, completed at once with a placeholder result, for a
   * request that may never come (a reversal reserving its original's key). False if the key exists:
   * the insert is the same primary-key race the request itself would run, so exactly one side wins.
   */
  async reserve(
    tx: Executor,
    id: IdempotencyScope,
    placeholder: string,
    result: unknown,
    now: Date,
  ): Promise<boolean> {
    const inserted = await tx
      .insertInto('idempotency_keys')
      .values({
        partner_id: id.partnerId,
        scope: id.scope,
        key: id.key,
        fingerprint: placeholder,
        state: 'completed',
        payment_id: null,
        result: JSON.stringify(result),
        created_at: now,
        updated_at: now,
        expires_at: this.expiryFrom(now),
      })
      .onConflict((oc) => oc.columns(['partner_id', 'scope', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  /** Hands a reserved key to the request that arrived for it: its fingerprint, payment and answer. */
  async adopt(
    tx: Executor,
    id: IdempotencyScope,
    placeholder: string,
    claim: { readonly fingerprint: string; readonly paymentId: string; readonly result: unknown },
    now: Date,
  ): Promise<boolean> {
    const updated = await tx
      .updateTable('idempotency_keys')
      .set({
        fingerprint: claim.fingerprint,
        payment_id: claim.paymentId,
        result: JSON.stringify(claim.result),
        updated_at: now,
      })
      .where('partner_id', '=', id.partnerId)
      .where('scope', '=', id.scope)
      .where('key', '=', id.key)
      .where('fingerprint', '=', placeholder)
      .where('payment_id', 'is', null)
      .executeTakeFirst();
    return updated.numUpdatedRows > 0n;
  }

  /**
   * Requests a dead node left in flight: those of a node whose lease ran out (with `deadNodes`; see
   * NodeLease) and, whatever their node, those in flight since before `olderThan` (the backstop for a
   * key no live lease covers, or a node that lives but never finished it).
   */
  async findStale(
    db: Executor,
    olderThan: Date,
    limit = 100,
    options: StaleOptions = {},
  ): Promise<(IdempotencyScope & { paymentId: string | null })[]> {
    const rows = await db
      .selectFrom('idempotency_keys as k')
      .select(['k.partner_id', 'k.scope', 'k.key', 'k.payment_id'])
      .where('k.state', '=', 'in_flight')
      .where((eb) => staleCondition(eb, olderThan, options))
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      partnerId: r.partner_id,
      scope: r.scope,
      key: r.key,
      paymentId: r.payment_id,
    }));
  }

  /** Claims a stale in-flight key for recovery; false if another node got there first. */
  async claimStale(
    tx: Executor,
    id: IdempotencyScope,
    olderThan: Date,
    options: StaleOptions = {},
  ): Promise<boolean> {
    const row = await tx
      .selectFrom('idempotency_keys as k')
      .select('k.key')
      .where('k.partner_id', '=', id.partnerId)
      .where('k.scope', '=', id.scope)
      .where('k.key', '=', id.key)
      .where('k.state', '=', 'in_flight')
      .where((eb) => staleCondition(eb, olderThan, options))
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    return row !== undefined;
  }

  async purgeExpired(db: Executor, now: Date): Promise<number> {
    const res = await db
      .deleteFrom('idempotency_keys')
      .where('expires_at', '<', now)
      .where('state', '=', 'completed')
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

export interface StaleOptions {
  /** Also the keys of nodes whose lease has run out (by the database's clock). */
  readonly deadNodes?: boolean;
}

function staleCondition(
  eb: ExpressionBuilder<Database & { k: Database['idempotency_keys'] }, 'k'>,
  olderThan: Date,
  options: StaleOptions,
) {
  const old = eb('k.updated_at', '<', olderThan);
  if (options.deadNodes !== true) return old;
  return eb.or([
    old,
    eb.exists(
      eb
        .selectFrom('gateway_nodes as n')
        .select('n.id')
        .whereRef('n.id', '=', 'k.node_id')
        .where('n.lease_until', '<', sql<Date>`now()`),
    ),
  ]);
}
