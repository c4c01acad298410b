import { sql } from 'kysely';
import type { Executor } from '../db';
import type { TrafficFigures } from './lane-fit';

/**
 * A partner's payments over a window, per lane and in all: how many, and the most in any one minute
 * (with when). Read from payments by their creation time, which the payments_created_at index serves.
 */
export async function partnerTraffic(
  db: Executor,
  partnerId: string,
  from: Date,
  to: Date,
): Promise<{ total: TrafficFigures; lanes: ReadonlyMap<string, TrafficFigures> }> {
  const { rows: perLane } = await sql<{ lane: string; payments: number; peak: number; peak_at: Date }>`
    with minutes as (
      select lane, date_trunc('minute', created_at) as minute, count(*)::int as n
      from payments
      where partner_id = ${partnerId} and created_at >= ${from} and created_at < ${to}
      group by lane, date_trunc('minute', created_at)
    )
    select lane, sum(n)::int as payments, max(n)::int as peak,
           (array_agg(minute order by n desc, minute))[1] as peak_at
    from minutes group by lane order by lane`.execute(db);
  const { rows: busiest } = await sql<{ minute: Date; n: number }>`
    select date_trunc('minute', created_at) as minute, count(*)::int as n
    from payments
    where partner_id = ${partnerId} and created_at >= ${from} and created_at < ${to}
    group by date_trunc('minute', created_at)
    order by n desc, minute
    limit 1`.execute(db);
  const top = busiest[0];
  return {
    total: {
      payments: perLane.reduce((n, r) => n + r.payments, 0),
      peakPerMinute: top?.n ?? 0,
      peakAt: top === undefined ? null : new Date(top.minute),
    },
    lanes: new Map(
      perLane.map((r) => [
        r.lane,
        { payments: r.payments, peakPerMinute: r.peak, peakAt: new Date(r.peak_at) },
      ]),
    ),
  };
}
