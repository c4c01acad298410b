import type { Selectable } from 'kysely';
import type { Executor, Tx } from '../db';
import { ChainVerifier, type AuditEntry, type ChainVerdict } from './audit-chain';
import type { RoutingAuditTable } from '../../infrastructure/database/schema';

/*
 * Reading the routing audit log: the ops listing (paged) and the walk that verifies the hash chain.
 * Entries are written by AuditedRoutingRules only.
 */

/** An audit entry as the ops API shows it: the stored entry, its sequence number and time made JSON. */
export interface AuditListEntry extends Omit<AuditEntry, 'seq' | 'at'> {
  readonly seq: number;
  readonly at: string;
}

const AUDIT_COLUMNS = [
  'seq',
  'at',
  'actor',
  'action',
  'rule_id',
  'reason',
  'before',
  'after',
  'scheduled_change_id',
  'prev_hash',
  'hash',
] as const;

function auditEntryOfRow(r: Pick<Selectable<RoutingAuditTable>, (typeof AUDIT_COLUMNS)[number]>): AuditEntry {
  return {
    seq: BigInt(r.seq),
    at: r.at,
    actor: r.actor,
    action: r.action,
    ruleId: r.rule_id,
    reason: r.reason,
    before: r.before,
    after: r.after,
    scheduledChangeId: r.scheduled_change_id,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export async function listAuditEntries(
  executor: Executor,
  opts: { afterSeq?: number; limit?: number; ruleId?: string } = {},
): Promise<{ items: AuditListEntry[]; nextAfterSeq: number | null }> {
  const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
  let q = executor
    .selectFrom('routing_audit')
    .select(AUDIT_COLUMNS)
    .where('seq', '>', BigInt(opts.afterSeq ?? 0));
  if (opts.ruleId !== undefined) q = q.where('rule_id', '=', opts.ruleId);
  const rows = await q
    .orderBy('seq')
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit).map((r) => {
    const entry = auditEntryOfRow(r);
    return { ...entry, seq: Number(entry.seq), at: entry.at.toISOString() };
  });
  return { items, nextAfterSeq: rows.length > limit ? (items.at(-1)?.seq ?? null) : null };
}

/** Walks the whole audit chain in sequence order (in pages) and checks it against the chain head. */
export async function verifyAuditChain(db: Executor | Tx): Promise<ChainVerdict> {
  const verifier = new ChainVerifier();
  let after = 0n;
  for (;;) {
    const rows = await db
      .selectFrom('routing_audit')
      .select(AUDIT_COLUMNS)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(1000)
      .execute();
    for (const r of rows) {
      verifier.push(auditEntryOfRow(r));
      if (verifier.done) break;
    }
    if (verifier.done || rows.length < 1000) break;
    after = BigInt(rows.at(-1)?.seq ?? after);
  }
  const head = await db
    .selectFrom('routing_audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  return verifier.finish({ seq: BigInt(head?.seq ?? 0), hash: head?.hash ?? '' });
}
