import { createHash } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { OpsAuditTable } from '../../infrastructure/database/schema';
import type { Executor, Tx } from '../db';
import { HashChainVerifier, canonicalJson, type ChainVerdict } from './hash-chain';

/** One ops action as it is recorded: who did what to which subject, why, and what it changed. */
export interface OpsAction {
  /** The ops user or system principal acting (never empty). */
  readonly actor: string;
  /** A dotted verb naming the action, e.g. `payment.decision`, `biller.update`, `break.resolve`. */
  readonly action: string;
  /** What kind of thing was acted on, e.g. `payment`, `biller`, `agent`, `break`. */
  readonly subjectType: string;
  readonly subjectId: string;
  /** Why: mandatory for every ops action. */
  readonly reason: string;
  /** The subject before and after, as JSON-able values (bigints become decimal strings). */
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface OpsAuditEntry {
  readonly seq: bigint;
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly subjectType: string;
  readonly subjectId: string;
  readonly reason: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly prevHash: string;
  readonly hash: string;
}

/** An entry as the ops API shows it (sequence number and time made JSON). */
export interface OpsAuditListEntry extends Omit<OpsAuditEntry, 'seq' | 'at'> {
  readonly seq: number;
  readonly at: string;
}

export class OpsAuditRefused extends Error {}

export function hashOpsEntry(e: Omit<OpsAuditEntry, 'hash'>): string {
  const text = canonicalJson({
    seq: e.seq.toString(),
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    reason: e.reason,
    before: e.before ?? null,
    after: e.after ?? null,
    prevHash: e.prevHash,
  });
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** What jsonb gives back for a value: hash the stored form, so verification sees what was hashed. */
function asStored(value: unknown): unknown {
  return value === undefined || value === null ? null : (JSON.parse(canonicalJson(value)) as unknown);
}

const COLUMNS = [
  'seq',
  'at',
  'actor',
  'action',
  'subject_type',
  'subject_id',
  'reason',
  'before',
  'after',
  'prev_hash',
  'hash',
] as const;

function entryOfRow(r: Pick<Selectable<OpsAuditTable>, (typeof COLUMNS)[number]>): OpsAuditEntry {
  return {
    seq: BigInt(r.seq),
    at: r.at,
    actor: r.actor,
    action: r.action,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    reason: r.reason,
    before: r.before ?? null,
    after: r.after ?? null,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/**
 * The ops audit log: one tamper-evident chain for every ops action outside routing (routing keeps
 * its own, enforced by triggers on its table). Append inside the transaction of the change it
 * records, so the change and its entry commit or roll back together. Appenders serialise on the
 * chain head's row lock, which is what keeps the sequence gap-free.
 */
export class OpsAuditLog {
  constructor(private readonly now: () => Date = () => new Date()) {}

  async append(tx: Tx, action: OpsAction): Promise<OpsAuditEntry> {
    if (action.actor.trim() === '') throw new OpsAuditRefused('an ops action needs an actor');
    if (action.reason.trim() === '') throw new OpsAuditRefused('an ops action needs a reason');
    const head = await tx
      .updateTable('ops_audit_head')
      .set({ seq: sql`seq + 1` })
      .where('id', '=', 1)
      .returning(['seq', 'hash'])
      .executeTakeFirstOrThrow();
    const content = {
      seq: BigInt(head.seq),
      // Millisecond precision: what timestamptz keeps and toISOString writes.
      at: new Date(this.now().getTime()),
      actor: action.actor,
      action: action.action,
      subjectType: action.subjectType,
      subjectId: action.subjectId,
      reason: action.reason,
      before: asStored(action.before),
      after: asStored(action.after),
      prevHash: head.hash,
    };
    const hash = hashOpsEntry(content);
    await tx
      .insertInto('ops_audit')
      .values({
        seq: content.seq,
        at: content.at,
        actor: content.actor,
        action: content.action,
        subject_type: content.subjectType,
        subject_id: content.subjectId,
        reason: content.reason,
        before: content.before === null ? null : JSON.stringify(content.before),
        after: content.after === null ? null : JSON.stringify(content.after),
        prev_hash: content.prevHash,
        hash,
      })
      .execute();
    await tx.updateTable('ops_audit_head').set({ hash }).where('id', '=', 1).execute();
    return { ...content, hash };
  }

  async list(
    db: Executor,
    opts: { subjectType?: string; subjectId?: string; afterSeq?: number; limit?: number } = {},
  ): Promise<{ items: OpsAuditListEntry[]; nextAfterSeq: number | null }> {
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
    let q = db
      .selectFrom('ops_audit')
      .select(COLUMNS)
      .where('seq', '>', BigInt(opts.afterSeq ?? 0));
    if (opts.subjectType !== undefined) q = q.where('subject_type', '=', opts.subjectType);
    if (opts.subjectId !== undefined) q = q.where('subject_id', '=', opts.subjectId);
    const rows = await q
      .orderBy('seq')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map((r) => {
      const e = entryOfRow(r);
      return { ...e, seq: Number(e.seq), at: e.at.toISOString() };
    });
    return { items, nextAfterSeq: rows.length > limit ? (items.at(-1)?.seq ?? null) : null };
  }

  /**
   * The newest entries about one subject (or, without subjectId, one kind of subject), newest first:
   * what an ops page shows beside the subject.
   */
  async recent(
    db: Executor,
    subject: { subjectType: string; subjectId?: string },
    limit = 50,
  ): Promise<OpsAuditListEntry[]> {
    let q = db.selectFrom('ops_audit').select(COLUMNS).where('subject_type', '=', subject.subjectType);
    if (subject.subjectId !== undefined) q = q.where('subject_id', '=', subject.subjectId);
    const rows = await q
      .orderBy('seq', 'desc')
      .limit(Math.min(Math.max(limit, 1), 1000))
      .execute();
    return rows.map((r) => {
      const e = entryOfRow(r);
      return { ...e, seq: Number(e.seq), at: e.at.toISOString() };
    });
  }

  /** Walks the whole chain in sequence order (in pages) and checks it against the chain head. */
  async verify(db: Executor): Promise<ChainVerdict> {
    const verifier = new HashChainVerifier<OpsAuditEntry>(hashOpsEntry);
    let after = 0n;
    for (;;) {
      const rows = await db
        .selectFrom('ops_audit')
        .select(COLUMNS)
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(1000)
        .execute();
      for (const r of rows) {
        verifier.push(entryOfRow(r));
        if (verifier.done) break;
      }
      if (verifier.done || rows.length < 1000) break;
      after = BigInt(rows.at(-1)?.seq ?? after);
    }
    const head = await db
      .selectFrom('ops_audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
    return verifier.finish({ seq: BigInt(head?.seq ?? 0), hash: head?.hash ?? '' });
  }
}
