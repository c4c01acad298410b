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
  /**
   * Time from receipt to the last state change, over the latest LATENCY_SAMPLE payments answered in
   * the last five minutes.
   */
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null };
  readonly waiting: readonly WaitingState[];
  /** Approved volume in the window per currency, as decimal strings of minor units. */
  readonly approvedMinorByCurrency: Readonly<Record<string, string>>;
}

/** States a payment waits in; each has an owner that moves it on (see README, payment states). */
export const WAITING_STATES = ['RECEIVED', 'POSTED', 'PENDING', 'NEEDS_ATTENTION'] as const;

/** How many of the latest answered payments the latency percentiles are taken over. */
export const LATENCY_SAMPLE = 2_000;

/** One second of payments of one kind: lane, protocol, state, reason and currency. */
interface Cell {
  readonly lane: string;
  readonly protocol: string;
  readonly status: string;
  readonly reason: string;
  readonly currency: string;
  readonly n: number;
  readonly minor: bigint;
}

export interface TrafficWindowOptions {
  readonly windowMinutes?: number;
  /**
   * Each read re-reads this much of the recent past: rows committed late (a payment inserted a
   * little before its transaction committed) and state changes of the last seconds land in it.
   */
  readonly graceMs?: number;
  /** How often the whole window is read again (what changed later: a PENDING payment resolved). */
  readonly fullEveryMs?: number;
}

/**
 * The live-traffic read model for the "Today" page. Kept per second of the window in memory, so a
 * read costs the last few seconds of payments (grace) rather than the whole window, whatever the
 * traffic; the whole window is read once on the first read and again every `fullEveryMs`, which
 * brings in later state changes (a payment resolved or reversed after the grace). Latency
 * percentiles are taken over a bounded sample and the waiting states from their partial index, so
 * no read grows with the traffic. One window is shared by every open page of a node.
 */
export class TrafficWindow {
  private readonly seconds = new Map<number, Cell[]>();
  private lastFullAt = Number.NEGATIVE_INFINITY;
  private lastReadAt = Number.NEGATIVE_INFINITY;
  readonly windowMinutes: number;
  private readonly graceMs: number;
  private readonly fullEveryMs: number;

  constructor(o: TrafficWindowOptions = {}) {
    this.windowMinutes = o.windowMinutes ?? 30;
    this.graceMs = o.graceMs ?? 15_000;
    this.fullEveryMs = o.fullEveryMs ?? 60_000;
  }

  async read(db: Executor, now: Date): Promise<TrafficSnapshot> {
    const t = now.getTime();
    const windowStart = Math.floor((t - this.windowMinutes * 60_000) / 1000);
    const full = t - this.lastFullAt >= this.fullEveryMs;
    // Since the last read (with the grace before it): a window left idle a while catches up on reading.
    const since = Math.min(t, this.lastReadAt) - this.graceMs;
    const fromSecond = full ? windowStart : Math.max(windowStart, Math.floor(since / 1000));
    const [cells, latency, waiting] = await Promise.all([
      sql<{
        s: string;
        lane: string;
        protocol: string;
        status: string;
        reason: string;
        currency: string;
        n: number;
        minor: string;
      }>`
        select floor(extract(epoch from created_at))::bigint::text as s, lane, protocol, status,
               reason_code as reason, currency, count(*)::int as n, sum(amount)::text as minor
        from payments where created_at >= ${new Date(fromSecond * 1000)}
        group by 1, 2, 3, 4, 5, 6`.execute(db),
      sql<{ p50: number | null; p99: number | null }>`
        select percentile_cont(0.5) within group (order by ms) as p50,
               percentile_cont(0.99) within group (order by ms) as p99
        from (
          select extract(epoch from (updated_at - received_at)) * 1000 as ms
          from payments
          where created_at >= ${new Date(t - 5 * 60_000)} and status in ('APPROVED', 'DECLINED', 'REVERSED')
          order by created_at desc limit ${LATENCY_SAMPLE}
        ) latest`.execute(db),
      readWaiting(db, now),
    ]);
    for (const second of [...this.seconds.keys()]) {
      if (second >= fromSecond || second < windowStart) this.seconds.delete(second);
    }
    for (const r of cells.rows) {
      const second = Number(r.s);
      const list = this.seconds.get(second) ?? [];
      list.push({
        lane: r.lane,
        protocol: r.protocol,
        status: r.status,
        reason: r.reason,
        currency: r.currency.trim(),
        n: r.n,
        minor: BigInt(r.minor),
      });
      this.seconds.set(second, list);
    }
    if (full) this.lastFullAt = t;
    this.lastReadAt = t;
    return this.snapshot(now, latency.rows[0], waiting);
  }

  private snapshot(
    now: Date,
    latency: { p50: number | null; p99: number | null } | undefined,
    waiting: readonly WaitingState[],
  ): TrafficSnapshot {
    const minutes = new Map<
      string,
      { minute: number; lane: string; protocol: string; n: number; ok: number }
    >();
    const declines = new Map<string, number>();
    const volume = new Map<string, bigint>();
    let total = 0;
    let approved = 0;
    for (const [second, cells] of this.seconds) {
      const minute = Math.floor(second / 60) * 60;
      for (const c of cells) {
        const k = `${minute} ${c.lane} ${c.protocol}`;
        const m = minutes.get(k) ?? { minute, lane: c.lane, protocol: c.protocol, n: 0, ok: 0 };
        m.n += c.n;
        total += c.n;
        if (c.status === 'APPROVED') {
          m.ok += c.n;
          approved += c.n;
          volume.set(c.currency, (volume.get(c.currency) ?? 0n) + c.minor);
        }
        if (c.status === 'DECLINED') declines.set(c.reason, (declines.get(c.reason) ?? 0) + c.n);
        minutes.set(k, m);
      }
    }
    const perMinute = [...minutes.values()]
      .sort(
        (a, b) => a.minute - b.minute || a.lane.localeCompare(b.lane) || a.protocol.localeCompare(b.protocol),
      )
      .map((m) => ({
        minute: new Date(m.minute * 1000).toISOString(),
        lane: m.lane,
        protocol: m.protocol,
        payments: m.n,
        approved: m.ok,
      }));
    const declinesByReason = [...declines]
      .map(([reason, count]) => ({ reason, count }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
    const round = (v: number | string | null | undefined): number | null =>
      v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10;
    return {
      at: now.toISOString(),
      windowMinutes: this.windowMinutes,
      perMinute,
      total,
      approved,
      declined: declinesByReason.reduce((a, b) => a + b.count, 0),
      declinesByReason: declinesByReason.slice(0, 12),
      latencyMs: { p50: round(latency?.p50), p99: round(latency?.p99) },
      waiting,
      approvedMinorByCurrency: Object.fromEntries(
        [...volume].sort(([a], [b]) => a.localeCompare(b)).map(([c, minor]) => [c, minor.toString()]),
      ),
    };
  }
}

/** One snapshot read from scratch (a page opened while no live feed runs). */
export function readTraffic(db: Executor, now: Date, windowMinutes = 30): Promise<TrafficSnapshot> {
  return new TrafficWindow({ windowMinutes }).read(db, now);
}

/**
 * Payments waiting for a final state, per state present, with the age of the oldest (dashboard,
 * metrics). The IN list is exactly the partial index's predicate (payments_status), so this reads
 * only the waiting payments, never the whole table.
 */
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
