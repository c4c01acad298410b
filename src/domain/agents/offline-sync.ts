import { sql } from 'kysely';
import type { Db } from '../db';
import type { Terminal } from './agent';

/** One payment a terminal took while offline, as it syncs it. */
export interface OfflinePayment {
  readonly idempotencyKey: string;
  readonly capturedAt: Date;
  readonly billType: string;
  readonly billReference: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly partnerReference: string;
  /** Fingerprint of the item's content: the same key with other content is a conflict. */
  readonly fingerprint: string;
}

/** What the pipeline made of one item (the port the sync is given; it knows no pipeline type). */
export type TerminalPayOutcome =
  | {
      readonly kind: 'processed' | 'replayed';
      readonly paymentId: string;
      readonly status: string;
      readonly reasonCode: string;
      readonly billerReceipt: string | null;
    }
  | { readonly kind: 'conflict' | 'in-flight'; readonly paymentId: string | null };

export type TerminalPay = (item: OfflinePayment, paymentId: string) => Promise<TerminalPayOutcome>;

export type SyncItemOutcome = 'approved' | 'pending' | 'declined' | 'duplicate' | 'in-flight';

export interface SyncItemAnswer {
  readonly idempotencyKey: string;
  readonly outcome: SyncItemOutcome;
  readonly paymentId: string | null;
  readonly status: string | null;
  readonly reasonCode: string;
  readonly billerReceipt: string | null;
  /** Posted past the agent's cash limit (within the offline allowance) and flagged for ops. */
  readonly flagged: boolean;
}

export interface SyncAnswer {
  readonly batchId: string;
  readonly items: readonly SyncItemAnswer[];
  readonly breach: { readonly amountOverMinor: bigint; readonly items: readonly string[] } | null;
}

/** Decline reason of an item beyond the terminal's offline allowance (sync vocabulary, not a pipeline code). */
export const OFFLINE_ALLOWANCE_EXCEEDED = 'OFFLINE_ALLOWANCE_EXCEEDED';

/**
 * A terminal's offline batch, synced. Each item is decided once and remembered
 * (agent_offline_items, keyed by terminal and idempotency key): whether it was within the terminal's
 * offline allowance (count and total, items taken in capture order) is fixed the first time the item
 * is seen, so a batch sent again after a dropped connection is answered the same way and each
 * payment is posted once (the pipeline's idempotency replays the rest). Items go through the
 * pipeline in capture order, one at a time, so the agent's limit is met in the order the cash was.
 */
export class OfflineSync {
  constructor(
    private readonly db: Db,
    private readonly newId: () => string,
  ) {}

  async sync(terminal: Terminal, items: readonly OfflinePayment[], pay: TerminalPay): Promise<SyncAnswer> {
    const batchId = this.newId();
    const ordered = [...items].sort(
      (a, b) =>
        a.capturedAt.getTime() - b.capturedAt.getTime() ||
        (a.idempotencyKey < b.idempotencyKey ? -1 : a.idempotencyKey > b.idempotencyKey ? 1 : 0),
    );
    let count = 0;
    let total = 0n;
    const decided = ordered.map((item) => {
      count += 1;
      total += item.amountMinor;
      const within = count <= terminal.offlineMaxCount && total <= terminal.offlineMaxTotalMinor;
      return { item, within, paymentId: this.newId() };
    });
    if (decided.length > 0) {
      await this.db
        .insertInto('agent_offline_items')
        .values(
          decided.map((d) => ({
            terminal_id: terminal.id,
            idempotency_key: d.item.idempotencyKey,
            payment_id: d.paymentId,
            agent_id: terminal.agentId,
            batch_id: batchId,
            amount: d.item.amountMinor,
            currency: d.item.currency,
            captured_at: d.item.capturedAt,
            within_allowance: d.within,
          })),
        )
        .onConflict((oc) => oc.columns(['terminal_id', 'idempotency_key']).doNothing())
        .execute();
    }
    const stored = new Map(
      (
        await this.db
          .selectFrom('agent_offline_items')
          .select(['idempotency_key', 'payment_id', 'within_allowance'])
          .where('terminal_id', '=', terminal.id)
          .where(
            'idempotency_key',
            'in',
            decided.length > 0 ? decided.map((d) => d.item.idempotencyKey) : [''],
          )
          .execute()
      ).map((r) => [r.idempotency_key, r]),
    );

    const answers = new Map<string, SyncItemAnswer>();
    for (const { item } of decided) {
      const marker = stored.get(item.idempotencyKey);
      if (marker === undefined) throw new Error(`offline item ${item.idempotencyKey} was not recorded`);
      if (!marker.within_allowance) {
        answers.set(item.idempotencyKey, {
          idempotencyKey: item.idempotencyKey,
          outcome: 'declined',
          paymentId: null,
          status: 'DECLINED',
          reasonCode: OFFLINE_ALLOWANCE_EXCEEDED,
          billerReceipt: null,
          flagged: false,
        });
        continue;
      }
      answers.set(item.idempotencyKey, answerOf(item.idempotencyKey, await pay(item, marker.payment_id)));
    }

    const paymentIds = [...answers.values()].flatMap((a) => (a.paymentId === null ? [] : [a.paymentId]));
    const breaches =
      paymentIds.length === 0
        ? []
        : await this.db
            .selectFrom('agent_limit_breaches')
            .select(['payment_id', 'over_by'])
            .where('payment_id', 'in', paymentIds)
            .execute();
    const flagged = new Set(breaches.map((b) => b.payment_id));
    const final = items.map((i) => {
      const a = answers.get(i.idempotencyKey);
      if (a === undefined) throw new Error(`offline item ${i.idempotencyKey} was not answered`);
      return a.paymentId !== null && flagged.has(a.paymentId) ? { ...a, flagged: true } : a;
    });
    const over = breaches.reduce((sum, b) => sum + BigInt(b.over_by), 0n);
    return {
      batchId,
      items: final,
      breach:
        breaches.length === 0
          ? null
          : { amountOverMinor: over, items: final.filter((a) => a.flagged).map((a) => a.idempotencyKey) },
    };
  }

  /**
   * When each of an agent's terminals last sent items we had not seen (a batch sent again adds
   * nothing, so it does not move this), with how many batches and items it has synced in all.
   */
  async lastSyncs(agentId: string): Promise<Map<string, TerminalSyncs>> {
    const rows = await this.db
      .selectFrom('agent_offline_items')
      .select([
        'terminal_id',
        sql<Date>`max(created_at)`.as('last'),
        sql<number>`count(distinct batch_id)::int`.as('batches'),
        sql<number>`count(*)::int`.as('items'),
      ])
      .where('agent_id', '=', agentId)
      .groupBy('terminal_id')
      .execute();
    return new Map(
      rows.map((r) => [
        r.terminal_id,
        { lastSyncAt: new Date(r.last), batches: Number(r.batches), items: Number(r.items) },
      ]),
    );
  }

  /** Breaches found at sync, one flag per batch: the agent, how much over, the items involved. */
  async breaches(agentId: string): Promise<LimitBreachFlag[]> {
    const rows = await this.db
      .selectFrom('agent_limit_breaches as b')
      .innerJoin('agent_offline_items as o', 'o.payment_id', 'b.payment_id')
      .select([
        'b.batch_id',
        'b.terminal_id',
        'b.currency',
        'b.payment_id',
        'b.amount',
        'b.over_by',
        'b.created_at',
        'o.idempotency_key',
        sql<boolean>`b.acknowledged_at is not null`.as('acknowledged'),
      ])
      .where('b.agent_id', '=', agentId)
      .orderBy('b.created_at')
      .limit(5000)
      .execute();
    const flags = new Map<string, LimitBreachFlag>();
    for (const r of rows) {
      const f = flags.get(r.batch_id) ?? {
        batchId: r.batch_id,
        agentId,
        terminalId: r.terminal_id,
        currency: r.currency.trim(),
        amountOverMinor: 0n,
        flaggedAt: r.created_at,
        items: [],
      };
      flags.set(r.batch_id, {
        ...f,
        amountOverMinor: f.amountOverMinor + BigInt(r.over_by),
        items: [
          ...f.items,
          {
            paymentId: r.payment_id,
            idempotencyKey: r.idempotency_key,
            amountMinor: BigInt(r.amount),
            overByMinor: BigInt(r.over_by),
          },
        ],
      });
    }
    return [...flags.values()];
  }
}

export interface TerminalSyncs {
  readonly lastSyncAt: Date;
  readonly batches: number;
  readonly items: number;
}

export interface LimitBreachFlag {
  readonly batchId: string;
  readonly agentId: string;
  readonly terminalId: string;
  readonly currency: string;
  readonly amountOverMinor: bigint;
  readonly flaggedAt: Date;
  readonly items: readonly {
    paymentId: string;
    idempotencyKey: string;
    amountMinor: bigint;
    overByMinor: bigint;
  }[];
}

function answerOf(key: string, o: TerminalPayOutcome): SyncItemAnswer {
  switch (o.kind) {
    case 'conflict':
      return {
        idempotencyKey: key,
        outcome: 'declined',
        paymentId: o.paymentId,
        status: null,
        reasonCode: 'DUPLICATE_CONFLICT',
        billerReceipt: null,
        flagged: false,
      };
    case 'in-flight':
      return {
        idempotencyKey: key,
        outcome: 'in-flight',
        paymentId: o.paymentId,
        status: null,
        reasonCode: 'IN_FLIGHT',
        billerReceipt: null,
        flagged: false,
      };
    case 'processed':
    case 'replayed':
      return {
        idempotencyKey: key,
        outcome:
          o.kind === 'replayed'
            ? 'duplicate'
            : o.status === 'APPROVED'
              ? 'approved'
              : o.status === 'PENDING'
                ? 'pending'
                : 'declined',
        paymentId: o.paymentId,
        status: o.status,
        reasonCode: o.reasonCode,
        billerReceipt: o.billerReceipt,
        flagged: false,
      };
  }
}
