import { sql } from 'kysely';
import { isUniqueViolation, type Db, type Executor, type Tx } from '../db';
import { uuidv7 } from '../ids';
import type { PayerType } from '../reason-codes';
import { hashEntry, type AuditEntry } from './audit-chain';
import { RoutingReferenceData } from './rule-validator';
import {
  RoutingError,
  tupleOf,
  type ChangeContext,
  type NewRule,
  type RuleAction,
  type RoutingRule,
  type RulePatch,
} from './routing-rule';

/** One rule change as it was written: the rule before and after, and the audit entry that records it. */
export interface RuleChange {
  readonly action: RuleAction;
  readonly before: RoutingRule | null;
  readonly after: RoutingRule | null;
  readonly auditSeq: bigint;
}

/**
 * The write side of a routing transaction. Every operation validates the rule, writes it, and
 * appends its audit entry, all in the transaction of the enclosing `AuditedRoutingRules.run`. There
 * is no other way to obtain one.
 */
export interface RuleWriter {
  /** The transaction, for reads that must see this transaction's own writes. */
  readonly tx: Tx;
  create(rule: NewRule): Promise<RuleChange>;
  /** Undefined when the patch changes nothing (no write, no entry, no version bump). */
  update(id: string, patch: RulePatch, expectedVersion?: number): Promise<RuleChange | undefined>;
  remove(id: string, expectedVersion?: number): Promise<RuleChange>;
}

type RuleRow = {
  id: string;
  bill_type: string;
  payer_type: string;
  partner_id: string;
  biller_endpoint: string;
  settlement_account: string;
  enabled: boolean;
  version: number;
};

function ruleOfRow(row: RuleRow): RoutingRule {
  return {
    id: row.id,
    billType: row.bill_type,
    payerType: row.payer_type as PayerType,
    partnerId: row.partner_id,
    billerEndpoint: row.biller_endpoint,
    settlementAccount: row.settlement_account,
    enabled: row.enabled,
    version: row.version,
  };
}

const RULE_COLUMNS = [
  'id',
  'bill_type',
  'payer_type',
  'partner_id',
  'biller_endpoint',
  'settlement_account',
  'enabled',
  'version',
] as const;

/**
 * The only code path that writes routing_rules. Each run:
 *  - sets the transaction-local marker the routing_rules trigger demands (billgate.audit_actor);
 *  - locks the audit chain head first, which serialises every routing change across all nodes
 *    (so the sequence has no gaps, and rule locks are never taken in conflicting orders);
 *  - appends one hash-chained audit entry per rule written, in the same transaction; a deferred
 *    trigger re-checks at commit that every rule row changed has its entry.
 */
export class AuditedRoutingRules {
  constructor(private readonly db: Db) {}

  async run<T>(ctx: ChangeContext, fn: (writer: RuleWriter) => Promise<T>, within?: Tx): Promise<T> {
    if (ctx.actor.trim() === '') throw new RoutingError('validation', 'an actor is required');
    requireReason(ctx);
    const body = async (tx: Tx): Promise<T> => {
      await sql`select set_config('billgate.audit_actor', ${ctx.actor}, true)`.execute(tx);
      const head = await tx
        .selectFrom('routing_audit_head')
        .select(['seq', 'hash'])
        .where('id', '=', 1)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const writer = new AuditedWriter(tx, ctx, { seq: BigInt(head.seq), hash: head.hash });
      const result = await fn(writer);
      await writer.saveHead();
      return result;
    };
    if (within !== undefined) return body(within);
    return this.db.transaction().execute(body);
  }
}

class AuditedWriter implements RuleWriter {
  private reference: RoutingReferenceData | undefined;
  private readonly startSeq: bigint;

  constructor(
    readonly tx: Tx,
    private readonly ctx: ChangeContext,
    private head: { seq: bigint; hash: string },
  ) {
    this.startSeq = head.seq;
  }

  async create(input: NewRule): Promise<RuleChange> {
    const candidate = { ...input, enabled: input.enabled ?? true };
    await this.validate(candidate, undefined);
    const id = input.id ?? uuidv7();
    const row = await this.guardUnique(() =>
      this.tx
        .insertInto('routing_rules')
        .values({
          id,
          bill_type: candidate.billType,
          payer_type: candidate.payerType,
          partner_id: candidate.partnerId,
          biller_endpoint: candidate.billerEndpoint,
          settlement_account: candidate.settlementAccount,
          enabled: candidate.enabled,
          version: 1,
        })
        .returning(RULE_COLUMNS)
        .executeTakeFirstOrThrow(),
    );
    const after = ruleOfRow(row);
    const entry = await this.append('create', after.id, null, after);
    return { action: 'create', before: null, after, auditSeq: entry.seq };
  }

  async update(id: string, patch: RulePatch, expectedVersion?: number): Promise<RuleChange | undefined> {
    const before = await this.lock(id, expectedVersion);
    const next = {
      ...before,
      billerEndpoint: patch.billerEndpoint ?? before.billerEndpoint,
      settlementAccount: patch.settlementAccount ?? before.settlementAccount,
      enabled: patch.enabled ?? before.enabled,
    };
    if (
      next.billerEndpoint === before.billerEndpoint &&
      next.settlementAccount === before.settlementAccount &&
      next.enabled === before.enabled
    ) {
      return undefined;
    }
    await this.validate(next, id);
    const row = await this.guardUnique(() =>
      this.tx
        .updateTable('routing_rules')
        .set({
          biller_endpoint: next.billerEndpoint,
          settlement_account: next.settlementAccount,
          enabled: next.enabled,
          version: before.version + 1,
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .returning(RULE_COLUMNS)
        .executeTakeFirstOrThrow(),
    );
    const after = ruleOfRow(row);
    const entry = await this.append('update', id, before, after);
    return { action: 'update', before, after, auditSeq: entry.seq };
  }

  async remove(id: string, expectedVersion?: number): Promise<RuleChange> {
    const before = await this.lock(id, expectedVersion);
    await this.tx.deleteFrom('routing_rules').where('id', '=', id).execute();
    const entry = await this.append('delete', id, before, null);
    return { action: 'delete', before, after: null, auditSeq: entry.seq };
  }

  /** Writes the new chain head; called once at the end of the run. */
  async saveHead(): Promise<void> {
    if (this.head.seq === this.startSeq) return;
    await this.tx
      .updateTable('routing_audit_head')
      .set({ seq: this.head.seq.toString(), hash: this.head.hash })
      .where('id', '=', 1)
      .execute();
  }

  private async lock(id: string, expectedVersion: number | undefined): Promise<RoutingRule> {
    const row = await this.tx
      .selectFrom('routing_rules')
      .select(RULE_COLUMNS)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (row === undefined) throw new RoutingError('not-found', `no routing rule ${id}`);
    const rule = ruleOfRow(row);
    if (expectedVersion !== undefined && expectedVersion !== rule.version) {
      throw new RoutingError(
        'version-mismatch',
        `rule ${id} is at version ${rule.version}, not ${expectedVersion}`,
        { currentVersion: rule.version },
      );
    }
    return rule;
  }

  private async validate(rule: Omit<NewRule, 'id'>, ownId: string | undefined): Promise<void> {
    this.reference ??= await RoutingReferenceData.load(this.tx);
    const errors = this.reference.validate(rule);
    if (errors.length > 0) {
      throw new RoutingError('validation', 'the routing rule is not valid', { errors });
    }
    if (rule.enabled === false) return;
    let q = this.tx
      .selectFrom('routing_rules')
      .select('id')
      .where('enabled', '=', true)
      .where('bill_type', '=', rule.billType)
      .where('payer_type', '=', rule.payerType)
      .where('partner_id', '=', rule.partnerId);
    if (ownId !== undefined) q = q.where('id', '<>', ownId);
    const clash = await q.executeTakeFirst();
    if (clash !== undefined) throw conflict(rule, clash.id);
  }

  private async guardUnique<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new RoutingError('conflict', 'another enabled rule already claims this tuple');
      }
      throw error;
    }
  }

  private async append(
    action: AuditEntry['action'],
    ruleId: string,
    before: RoutingRule | null,
    after: RoutingRule | null,
  ): Promise<AuditEntry> {
    const content = {
      seq: this.head.seq + 1n,
      at: new Date(),
      actor: this.ctx.actor,
      action,
      ruleId,
      reason: this.ctx.reason,
      before,
      after,
      scheduledChangeId: this.ctx.scheduledChangeId ?? null,
      prevHash: this.head.hash,
    };
    const entry: AuditEntry = { ...content, hash: hashEntry(content) };
    await this.tx
      .insertInto('routing_audit')
      .values({
        seq: entry.seq.toString(),
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        rule_id: entry.ruleId,
        reason: entry.reason,
        before: before === null ? null : JSON.stringify(before),
        after: after === null ? null : JSON.stringify(after),
        scheduled_change_id: entry.scheduledChangeId,
        prev_hash: entry.prevHash,
        hash: entry.hash,
      })
      .execute();
    this.head = { seq: entry.seq, hash: entry.hash };
    return entry;
  }
}

function conflict(
  rule: Pick<RoutingRule, 'billType' | 'payerType' | 'partnerId'>,
  clashId: string,
): RoutingError {
  return new RoutingError(
    'conflict',
    `enabled rule ${clashId} already routes ${tupleOf(rule)}; disable it first or change that rule`,
    { conflictingRuleId: clashId },
  );
}

/** Every routing change, applied now or scheduled, must say why. */
export function requireReason(ctx: Pick<ChangeContext, 'reason'>): void {
  if (ctx.reason.trim() === '') {
    throw new RoutingError('validation', 'a reason is required', {
      errors: [{ field: 'reason', message: 'is required: say why the routing table changes' }],
    });
  }
}

/** Reads for the ops side (outside any write). */
export async function listRules(
  db: Executor,
  filter: { billType?: string; partnerId?: string } = {},
): Promise<RoutingRule[]> {
  let q = db.selectFrom('routing_rules').select(RULE_COLUMNS);
  if (filter.billType !== undefined) q = q.where('bill_type', '=', filter.billType);
  if (filter.partnerId !== undefined) q = q.where('partner_id', '=', filter.partnerId);
  const rows = await q
    .orderBy('bill_type')
    .orderBy('payer_type')
    .orderBy('partner_id')
    .orderBy('id')
    .execute();
  return rows.map(ruleOfRow);
}

export async function findRule(db: Executor, id: string): Promise<RoutingRule | undefined> {
  const row = await db
    .selectFrom('routing_rules')
    .select(RULE_COLUMNS)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : ruleOfRow(row);
}
