import type { Executor } from '../db';

export type BreakEventKind =
  'raised' | 'changed' | 'assigned' | 'commented' | 'resolved' | 'cleared' | 'reopened';

export interface BreakEvent {
  readonly at: Date;
  readonly actor: string;
  readonly kind: BreakEventKind;
  readonly note: string | null;
  readonly data: unknown;
}

/** recon_break_events: the story of each break (re-runs, assignment, comments, resolution). */
export class ReconBreakEventsRepository {
  async add(
    db: Executor,
    events: readonly {
      breakId: string;
      actor: string;
      kind: BreakEventKind;
      note?: string;
      data?: unknown;
      at?: Date;
    }[],
  ): Promise<void> {
    if (events.length === 0) return;
    await db
      .insertInto('recon_break_events')
      .values(
        events.map((e) => ({
          break_id: e.breakId,
          actor: e.actor,
          kind: e.kind,
          note: e.note ?? null,
          data: e.data === undefined ? null : JSON.stringify(e.data),
          ...(e.at !== undefined ? { at: e.at } : {}),
        })),
      )
      .execute();
  }

  async of(db: Executor, breakId: string): Promise<BreakEvent[]> {
    const rows = await db
      .selectFrom('recon_break_events')
      .select(['at', 'actor', 'kind', 'note', 'data'])
      .where('break_id', '=', breakId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ at: r.at, actor: r.actor, kind: r.kind, note: r.note, data: r.data ?? null }));
  }
}
