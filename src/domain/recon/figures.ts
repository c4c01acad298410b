import type { Db } from '../db';
import type { ReconBreaksRepository } from './breaks.repository';

export interface ReconFigures {
  readonly from: string;
  readonly to: string;
  /** Breaks raised per business day by code and owner, with how many are still open and resolved. */
  readonly byDay: {
    readonly businessDate: string;
    readonly code: string;
    readonly owner: string;
    readonly raised: number;
    readonly open: number;
    readonly resolved: number;
    readonly resolvedWithin4h: number;
  }[];
  /** Of the breaks resolved in the range, the share resolved within 4 hours of being raised. */
  readonly resolvedWithin4hShare: number | null;
  readonly openNow: number;
  readonly oldestOpenAgeSeconds: number | null;
}

/** The figures ops are judged on, from the breaks table. */
export async function reconFigures(
  db: Db,
  breaks: ReconBreaksRepository,
  range: { from: string; to: string },
  now: Date,
): Promise<ReconFigures> {
  const byDay = await breaks.figures(db, range);
  const open = await breaks.openNow(db);
  const resolved = byDay.reduce((n, r) => n + r.resolved, 0);
  const within = byDay.reduce((n, r) => n + r.resolvedWithin4h, 0);
  return {
    ...range,
    byDay,
    resolvedWithin4hShare: resolved === 0 ? null : within / resolved,
    openNow: open.byCodeOwner.reduce((n, r) => n + r.open, 0),
    oldestOpenAgeSeconds:
      open.oldestRaisedAt === null
        ? null
        : Math.max(0, Math.round((now.getTime() - open.oldestRaisedAt.getTime()) / 1000)),
  };
}
