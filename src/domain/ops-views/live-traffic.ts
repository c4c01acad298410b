import { sql } from 'kysely';
import type { Executor } from '../db';

/** Payments that have not reached a final state, by state, with the age of the oldest. */
export interface WaitingState {
  readonly state: string;
  readonly count: number;
  readonly oldestAgeSeconds: number;
}

export interface MinuteBucket {
  /** ISO minute, e.g. 2026-12-02T10:15:00.000Z. */
  readonly minute: string;
  readonly lane: string;
  readonly protocol: string;
  readonly payments: number;
  readonly approved: number;
}

/** What the ops dashboard's "Today" page shows, for the whole cluster (it is read from the database). */
export interface TrafficSnapshot {
  readonly at: string;
  readonly windowMinutes: number;
  readonly perMinute: readonly MinuteBucket[];
  readonly total: number;
  readonly approved: number;
  readonly declined: number;
  readonly declinesByReason: readonly { readonly reason: string; readonly count: number }[];
  /** Time from receipt to the last state change of payments answered in the last five minutes. */
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null };
  readonly waiting: readonly WaitingState[];
  /** Approved volume in the window per currency, as decimal strings of minor units. */
  readonly approvedMinorByCurrency: Readonly<Record<string, string>>;
}

/** States a payment waits in; each has an owner that moves it on (see README, payment states). */
export const WAITING_STATES = ['RECEIVED', 'POSTED', 'PENDING', 'NEEDS_ATTENTION'] as const;

/**
 * The live-traffic read model: a few aggregate queries over the last window of payments. Cheap on
 * purpose (index on created_at, partial index on waiting states) because it runs every few seconds
 * while a dashboard is open; one snapshot is shared by every open page of a node.
 */
export async function readTraffic(db: Executor, now: Date, windowMinutes = 30): Promise<TrafficSnapshot> {
  const since = new Date(now.getTime() - windowMinutes * 60_000);
  const latencySince = new Date(now.getTime() - 5 * 60_000);
  const [minutes, declines, latency, waiting, volume] = await Promise.all([
    sql<{ minute: Date; lane: string; protocol: string; n: number; approved: number }>`
      select date_trunc('minute', created_at) as minute, lane, protocol,
             count(*)::int as n, (count(*) filter (where status = 'APPROVED'))::int as approved
      from payments where created_at >= ${since}
      group by 1, 2, 3 order by 1, 2, 3`.execute(db),
    sql<{ reason: string; n: number }>`
      select reason_code as reason, count(*)::int as n
      from payments where created_at >= ${since} and status = 'DECLINED'
      group by 1 order by 2 desc, 1 limit 12`.execute(db),
    sql<{ p50: number | null; p99: number | null }>`
      select
        percentile_cont(0.5) within group (order by extract(epoch from (updated_at - received_at)) * 1000) as p50,
        percentile_cont(0.99) within group (order by extract(epoch from (updated_at - received_at)) * 1000) as p99
      from payments
      where created_at >= ${latencySince} and status in ('APPROVED', 'DECLINED', 'REVERSED')`.execute(db),
    readWaiting(db, now),
    sql<{ currency: string; minor: string }>`
      select currency, sum(amount)::text as minor
      from payments where created_at >= ${since} and status = 'APPROVED'
      group by 1 order by 1`.execute(db),
  ]);
  const perMinute = minutes.rows.map((r) => ({
    minute: new Date(r.minute).toISOString(),
    lane: r.lane,
    protocol: r.protocol,
    payments: r.n,
    approved: r.approved,
  }));
  const total = perMinute.reduce((a, b) => a + b.payments, 0);
  const approved = perMinute.reduce((a, b) => a + b.approved, 0);
  const declinesByReason = declines.rows.map((r) => ({ reason: r.reason, count: r.n }));
  const round = (v: number | string | null | undefined): number | null =>
    v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10;
  return {
    at: now.toISOString(),
    windowMinutes,
    perMinute,
    total,
    approved,
    declined: declinesByReason.reduce((a, b) => a + b.count, 0),
    declinesByReason,
    latencyMs: { p50: round(latency.rows[0]?.p50), p99: round(latency.rows[0]?.p99) },
    waiting,
    approvedMinorByCurrency: Object.fromEntries(volume.rows.map((r) => [r.currency.trim(), r.minor])),
  };
}

/** Payments waiting for a final state, per state present, with the age of the oldest (dashboard, metrics). */
export async function readWaiting(db: Executor, now: Date): Promise<WaitingState[]> {
  const rows = await sql<{ state: string; n: number; oldest: Date }>`
    select status as state, count(*)::int as n, min(created_at) as oldest
    from payments where status in (${sql.join(WAITING_STATES.map((s) => sql.lit(s)))})
    group by 1 order by 1`.execute(db);
  return rows.rows.map((r) => ({
    state: r.state,
    count: r.n,
    oldestAgeSeconds: Math.max(0, Math.round((now.getTime() - new Date(r.oldest).getTime()) / 1000)),
  }));
}
