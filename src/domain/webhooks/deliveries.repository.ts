import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../db';
import { uuidv7 } from '../ids';

/** A delivery leased for one attempt, with what is needed to send it. */
export interface ClaimedDelivery {
  readonly id: string;
  readonly leaseToken: string;
  readonly eventId: string;
  readonly subscriptionId: string;
  readonly partnerId: string;
  readonly url: string;
  readonly body: string;
  readonly attempts: number;
}

export type AttemptOutcome = 'delivered' | 'failed' | 'timeout' | 'gone' | 'unsigned';

export interface AttemptRecord {
  readonly outcome: AttemptOutcome;
  readonly statusCode: number | null;
  readonly durationMs: number;
  readonly error: string | null;
  readonly at: Date;
  /** When failed: the next attempt's time, or undefined when the schedule is exhausted. */
  readonly nextAttemptAt?: Date;
}

export interface DeliveryView {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly paymentId: string;
  readonly subscriptionId: string;
  readonly url: string;
  readonly state: string;
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: string | null;
  readonly createdAt: string;
}

/** How deliveries to one subscription are going: what a partner's webhook health is read from. */
export interface SubscriptionHealth {
  readonly subscriptionId: string;
  /** Waiting to be sent (due now or retrying later), and the age of the oldest of them. */
  readonly pending: number;
  readonly oldestPendingAgeSeconds: number;
  /** Pending deliveries that have failed at least once and wait for their next attempt. */
  readonly retrying: number;
  /** Deliveries whose retry schedule ran out: nothing more is sent until a redelivery or replay. */
  readonly failed: number;
  /** Delivered within the window, and attempts that did not deliver within it. */
  readonly deliveredInWindow: number;
  readonly failedAttemptsInWindow: number;
  /** The latest delivery within the window. */
  readonly lastDeliveredAt: Date | null;
  /** The latest attempt that did not deliver: its HTTP status (none on a timeout) and error. */
  readonly lastFailure: {
    readonly at: Date;
    readonly statusCode: number | null;
    readonly error: string | null;
  } | null;
}

export interface DeliveryStats {
  readonly pending: number;
  readonly oldestPendingAgeSeconds: number;
}

/** The durable job kind that sends one delivery (src/infrastructure/jobs): one job per delivery. */
export const DELIVER_JOB = 'webhook.deliver';

export interface DeliverJobPayload {
  readonly deliveryId: string;
}

/**
 * Gives deliveries their jobs, in delivery order (seq): the job of a delivery is keyed by its id and
 * ordered by its subscription and payment, so a partner hears of one payment's events one at a time,
 * in the order they happened (a later one waits while an earlier one is pending or retrying). Due
 * when the delivery's next attempt is. A delivery that already has its job keeps it.
 */
async function enqueueDeliveryJobs(db: Executor, which: RawBuilder<unknown>, now: Date): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    insert into jobs (kind, dedupe_key, ordering_key, payload, state, run_at, attempts, created_at, updated_at)
    select ${DELIVER_JOB}, d.id::text, 'webhook:' || d.subscription_id::text || ':' || d.payment_id::text,
           jsonb_build_object('deliveryId', d.id::text), 'pending', d.next_attempt_at, 0, ${now}, ${now}
    from webhook_deliveries d
    where d.state = 'pending' and ${which}
    order by d.seq
    on conflict (kind, dedupe_key) where dedupe_key is not null do nothing
    returning id`.execute(db);
  return rows.length;
}

/** Runs `fn` in the caller's transaction, or in one of its own. */
function inTransaction<T>(db: Executor, fn: (tx: Executor) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

/**
 * The outbox's deliveries, the log of every attempt, and their scheduling on durable jobs: each
 * delivery row is created with its `webhook.deliver` job in one transaction; the row stays the record
 * partners and ops read (state, attempts, next attempt), the job decides who sends it and when.
 */
export class WebhookDeliveriesRepository {
  /** Gives these new deliveries their jobs (in the transaction that wrote them). */
  async enqueue(tx: Executor, deliveryIds: readonly string[], now: Date): Promise<number> {
    if (deliveryIds.length === 0) return 0;
    return enqueueDeliveryJobs(tx, sql`d.id = any (${[...deliveryIds]}::uuid[])`, now);
  }

  /**
   * Leases, for an attempt each, those of these deliveries that are still pending, due and not leased
   * by another node (a round of delivery jobs, in one statement).
   */
  async claimAll(
    db: Executor,
    deliveryIds: readonly string[],
    now: Date,
    leaseMs: number,
  ): Promise<ClaimedDelivery[]> {
    if (deliveryIds.length === 0) return [];
    const token = uuidv7(now.getTime());
    const { rows } = await sql<{
      id: string;
      event_id: string;
      subscription_id: string;
      partner_id: string;
      attempts: number;
      url: string;
      body: string;
    }>`
      with leased as (
        update webhook_deliveries d
        set leased_until = ${new Date(now.getTime() + leaseMs)}, lease_token = ${token}, updated_at = ${now}
        where d.id = any (${[...deliveryIds]}::uuid[]) and d.state = 'pending' and d.next_attempt_at <= ${now}
          and (d.leased_until is null or d.leased_until < ${now})
        returning d.id, d.event_id, d.subscription_id, d.partner_id, d.attempts
      )
      select l.id, l.event_id, l.subscription_id, l.partner_id, l.attempts, s.url, ev.body
      from leased l
      join webhook_subscriptions s on s.id = l.subscription_id
      join webhook_events ev on ev.id = l.event_id`.execute(db);
    return rows.map((r) => ({
      id: r.id,
      leaseToken: token,
      eventId: r.event_id,
      subscriptionId: r.subscription_id,
      partnerId: r.partner_id,
      url: r.url,
      body: r.body,
      attempts: r.attempts,
    }));
  }

  /**
   * Leases one delivery for an attempt (see claimAll). Answers undefined when it is no longer pending
   * (delivered, failed for good, cancelled), or when it may be tried (not yet due, or another node's
   * lease still runs).
   */
  async claim(
    db: Executor,
    deliveryId: string,
    now: Date,
    leaseMs: number,
  ): Promise<ClaimedDelivery | { readonly notBefore: Date } | undefined> {
    const [claimed] = await this.claimAll(db, [deliveryId], now, leaseMs);
    if (claimed !== undefined) return claimed;
    const row = await db
      .selectFrom('webhook_deliveries')
      .select(['state', 'next_attempt_at', 'leased_until'])
      .where('id', '=', deliveryId)
      .executeTakeFirst();
    if (row?.state !== 'pending') return undefined;
    const leased =
      row.leased_until !== null && row.leased_until >= now ? row.leased_until : row.next_attempt_at;
    return { notBefore: leased > row.next_attempt_at ? leased : row.next_attempt_at };
  }

  /**
   * Defence in depth: a pending delivery with no live job (written by a node of the previous release
   * during a rolling deploy, or whose job finished while it was somehow still pending) gets one,
   * due when its next attempt is. Answers how many were adopted.
   */
  async adoptOrphans(db: Executor, now: Date): Promise<number> {
    return inTransaction(db, async (tx) => {
      const revived = await sql<{ id: string }>`
        update jobs j set state = 'pending', attempts = 0, run_at = d.next_attempt_at, last_error = null,
                          updated_at = ${now}
        from webhook_deliveries d
        where d.state = 'pending' and j.kind = ${DELIVER_JOB} and j.dedupe_key = d.id::text
          and j.state in ('done', 'dead')
        returning j.id`.execute(tx);
      const made = await enqueueDeliveryJobs(
        tx,
        sql`not exists (select 1 from jobs j where j.kind = ${DELIVER_JOB} and j.dedupe_key = d.id::text)`,
        now,
      );
      return revived.rows.length + made;
    });
  }

  /**
   * Records one attempt and the delivery's new state, only if this node still holds the lease (a
   * node that outlived its lease must not overwrite the outcome of the one that took over).
   */
  async recordAttempt(db: Executor, d: ClaimedDelivery, a: AttemptRecord): Promise<boolean> {
    const attempt = d.attempts + 1;
    const state =
      a.outcome === 'delivered'
        ? 'delivered'
        : a.outcome === 'gone'
          ? 'cancelled'
          : a.nextAttemptAt === undefined
            ? 'failed'
            : 'pending';
    // One statement (atomic on its own): the state change and its log line, or neither.
    const { rows } = await sql<{ id: string }>`
      with updated as (
        update webhook_deliveries set
          state = ${state},
          attempts = ${attempt},
          last_status = ${a.statusCode},
          last_error = ${a.error},
          leased_until = null,
          lease_token = null,
          next_attempt_at = coalesce(${a.nextAttemptAt ?? null}::timestamptz, next_attempt_at),
          delivered_at = ${state === 'delivered' ? a.at : null},
          updated_at = ${a.at}
        where id = ${d.id} and lease_token = ${d.leaseToken} and state = 'pending'
        returning id
      )
      insert into webhook_delivery_attempts (delivery_id, attempt, at, outcome, status_code, duration_ms, error)
      select id, ${attempt}, ${a.at}, ${a.outcome}, ${a.statusCode}, ${a.durationMs}, ${a.error} from updated
      returning delivery_id as id`.execute(db);
    return rows.length === 1;
  }

  /**
   * Queues the events again for the partner's active subscriptions that want them (a manual
   * redelivery of one event, or a replay of a time range), each with its job, in one transaction.
   * Same webhook-id: receivers deduplicate. Answers how many deliveries were queued.
   */
  async requeue(
    db: Executor,
    partnerId: string,
    events: { readonly eventId?: string; readonly from?: Date; readonly to?: Date },
    now: Date,
    subscriptionId?: string,
  ): Promise<number> {
    return inTransaction(db, async (tx) => {
      const { rows } = await sql<{ id: string }>`
      with picked as (
        select ev.id as event_id, ev.payment_id, s.id as subscription_id, ev.occurred_at
        from webhook_events ev
        join webhook_subscriptions s
          on s.partner_id = ev.partner_id and s.state = 'active' and ev.type = any (s.event_types)
        where ev.partner_id = ${partnerId}
          ${events.eventId !== undefined ? sql`and ev.id = ${events.eventId}` : sql``}
          ${events.from !== undefined ? sql`and ev.occurred_at >= ${events.from}` : sql``}
          ${events.to !== undefined ? sql`and ev.occurred_at < ${events.to}` : sql``}
          ${subscriptionId !== undefined ? sql`and s.id = ${subscriptionId}` : sql``}
        order by ev.occurred_at, ev.id
        limit 10000
      ),
      queued as (
        insert into webhook_deliveries
          (id, event_id, subscription_id, partner_id, payment_id, state, next_attempt_at, created_at, updated_at)
        select gen_random_uuid(), event_id, subscription_id, ${partnerId}, payment_id, 'pending', ${now}, ${now}, ${now}
        from picked order by occurred_at, event_id
        returning id
      )
      select id from queued`.execute(tx);
      await this.enqueue(
        tx,
        rows.map((r) => r.id),
        now,
      );
      return rows.length;
    });
  }

  async list(
    db: Executor,
    partnerId: string,
    filter: {
      readonly state?: string;
      readonly eventId?: string;
      readonly paymentId?: string;
      readonly limit?: number;
    } = {},
  ): Promise<DeliveryView[]> {
    let q = db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as ev', 'ev.id', 'd.event_id')
      .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
      .select([
        'd.id',
        'd.event_id',
        'ev.type',
        'd.payment_id',
        'd.subscription_id',
        's.url',
        'd.state',
        'd.attempts',
        'd.next_attempt_at',
        'd.last_status',
        'd.last_error',
        'd.delivered_at',
        'd.created_at',
      ])
      .where('d.partner_id', '=', partnerId);
    if (filter.state !== undefined) q = q.where('d.state', '=', filter.state as 'pending');
    if (filter.eventId !== undefined) q = q.where('d.event_id', '=', filter.eventId);
    if (filter.paymentId !== undefined) q = q.where('d.payment_id', '=', filter.paymentId);
    const rows = await q
      .orderBy('d.seq', 'desc')
      .limit(Math.min(filter.limit ?? 100, 1000))
      .execute();
    return rows.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      eventType: r.type,
      paymentId: r.payment_id,
      subscriptionId: r.subscription_id,
      url: r.url,
      state: r.state,
      attempts: r.attempts,
      nextAttemptAt: r.state === 'pending' ? r.next_attempt_at.toISOString() : null,
      lastStatus: r.last_status,
      lastError: r.last_error,
      deliveredAt: r.delivered_at?.toISOString() ?? null,
      createdAt: r.created_at.toISOString(),
    }));
  }

  async attempts(
    db: Executor,
    deliveryId: string,
  ): Promise<
    { attempt: number; at: string; outcome: string; statusCode: number | null; error: string | null }[]
  > {
    const rows = await db
      .selectFrom('webhook_delivery_attempts')
      .select(['attempt', 'at', 'outcome', 'status_code', 'error'])
      .where('delivery_id', '=', deliveryId)
      .orderBy('attempt')
      .execute();
    return rows.map((r) => ({
      attempt: r.attempt,
      at: r.at.toISOString(),
      outcome: r.outcome,
      statusCode: r.status_code,
      error: r.error,
    }));
  }

  /**
   * Delivery health per subscription: what is waiting and since when, what is retrying or has given
   * up, and how the last `windowHours` went. Reads the pending and failed deliveries (partial
   * indexes) and the window's attempts, not the whole delivery log.
   */
  async health(db: Executor, now: Date, windowHours = 24): Promise<SubscriptionHealth[]> {
    const since = new Date(now.getTime() - windowHours * 3_600_000);
    const [open, delivered, attempts] = await Promise.all([
      sql<{
        subscription_id: string;
        pending: number;
        retrying: number;
        failed: number;
        oldest: Date | null;
      }>`
        select subscription_id,
               (count(*) filter (where state = 'pending'))::int as pending,
               (count(*) filter (where state = 'pending' and attempts > 0))::int as retrying,
               (count(*) filter (where state = 'failed'))::int as failed,
               min(created_at) filter (where state = 'pending') as oldest
        from webhook_deliveries where state in ('pending', 'failed')
        group by subscription_id`.execute(db),
      sql<{ subscription_id: string; n: number; last: Date | null }>`
        select subscription_id, count(*)::int as n, max(delivered_at) as last
        from webhook_deliveries where state = 'delivered' and delivered_at >= ${since}
        group by subscription_id`.execute(db),
      sql<{ subscription_id: string; n: number; at: Date; status_code: number | null; error: string | null }>`
        select distinct on (d.subscription_id) d.subscription_id,
               count(*) over (partition by d.subscription_id)::int as n,
               a.at, a.status_code, a.error
        from webhook_delivery_attempts a join webhook_deliveries d on d.id = a.delivery_id
        where a.at >= ${since} and a.outcome <> 'delivered'
        order by d.subscription_id, a.at desc`.execute(db),
    ]);
    const ids = new Set([
      ...open.rows.map((r) => r.subscription_id),
      ...delivered.rows.map((r) => r.subscription_id),
      ...attempts.rows.map((r) => r.subscription_id),
    ]);
    const o = new Map(open.rows.map((r) => [r.subscription_id, r]));
    const d = new Map(delivered.rows.map((r) => [r.subscription_id, r]));
    const a = new Map(attempts.rows.map((r) => [r.subscription_id, r]));
    return [...ids].map((id) => {
      const oldest = o.get(id)?.oldest ?? null;
      const fail = a.get(id);
      const last = d.get(id)?.last ?? null;
      return {
        subscriptionId: id,
        pending: o.get(id)?.pending ?? 0,
        oldestPendingAgeSeconds:
          oldest === null ? 0 : Math.max(0, Math.round((now.getTime() - new Date(oldest).getTime()) / 1000)),
        retrying: o.get(id)?.retrying ?? 0,
        failed: o.get(id)?.failed ?? 0,
        deliveredInWindow: d.get(id)?.n ?? 0,
        failedAttemptsInWindow: fail?.n ?? 0,
        lastDeliveredAt: last === null ? null : new Date(last),
        lastFailure:
          fail === undefined
            ? null
            : { at: new Date(fail.at), statusCode: fail.status_code, error: fail.error },
      };
    });
  }

  /** Deliveries waiting to be sent and the age of the oldest: the gauges ops alert on. */
  async stats(db: Executor, now: Date): Promise<DeliveryStats> {
    const { rows } = await sql<{ n: number; oldest: Date | null }>`
      select count(*)::int as n, min(created_at) as oldest
      from webhook_deliveries where state = 'pending'`.execute(db);
    const oldest = rows[0]?.oldest ?? null;
    return {
      pending: rows[0]?.n ?? 0,
      oldestPendingAgeSeconds:
        oldest === null ? 0 : Math.max(0, (now.getTime() - new Date(oldest).getTime()) / 1000),
    };
  }
}
