import type { Db, Tx } from '../domain/db';
import type { BillerClient } from '../domain/billers/biller-client';
import type { BillerDirectory } from '../domain/billers/biller-directory';
import type { IdempotencyRepository, IdempotencyScope } from '../domain/idempotency/idempotency.repository';
import type { Payment } from '../domain/payments/payment';
import type { PaymentsRepository } from '../domain/payments/payments.repository';
import type { Logger } from '../infrastructure/logging/logger';
import type { Metrics } from '../infrastructure/metrics/metrics';
import { RESERVED_BY_EARLY_REVERSAL, type EarlyReversals } from './early-reversals';
import type { PaymentEventSink } from '../domain/payments/payment-events';
import { paymentReversedEvent } from './reversal-events';
import type { FollowUps } from './resolution/follow-ups';
import { NOTHING_OWED, type PostingUndo, type UndoOwed } from './posting-undo';
import type { PaymentDecisions } from './resolution/payment-decisions';

export interface ReversalRequest {
  readonly partnerId: string;
  /** The original payment's idempotency identity (scope and key), as its protocol derived it. */
  readonly original: { readonly scope: string; readonly key: string };
  /** The reversal's own idempotency identity: a repeated reversal gets the same answer. */
  readonly reversal: { readonly scope: string; readonly key: string };
  readonly fingerprint: string;
  readonly reason: string;
  /** When the protocol states the amount being reversed; only full reversals are accepted. */
  readonly amountMinor?: bigint;
  /** The stated amount's currency, when the protocol gives one: it must be the original's. */
  readonly currency?: string;
  /**
   * An advice: the partner has reversed on its side already and only informs us. An original not
   * seen yet is then kept as reversed (EarlyReversals) instead of not found.
   */
  readonly advice?: boolean;
  /**
   * What else the original must have been received with, judged by the protocol on the payment's
   * origin (which the pipeline carries opaquely): a reversal naming other data finds no original.
   */
  readonly originalMatches?: (origin: Readonly<Record<string, string>>) => boolean;
}

export type ReversalStatus =
  | 'REVERSED'
  | 'ALREADY_REVERSED'
  | 'NOTHING_TO_REVERSE'
  | 'ORIGINAL_NOT_FOUND'
  | 'ORIGINAL_IN_FLIGHT'
  | 'AMOUNT_MISMATCH'
  /** An advice whose original has not arrived: kept, the original will be declined. */
  | 'AWAITING_ORIGINAL';

export interface ReversalResult {
  readonly status: ReversalStatus;
  readonly originalPaymentId: string | null;
  /**
   * What the biller said about undoing its side: not needed when it was never asked; not-found when
   * it never had the payment; queued when it did not answer (store and forward sends it again until it
   * confirms); refused when it will not (the payment is parked for ops). `unknown` is what answers
   * stored before store and forward existed say.
   */
  readonly billerReversal: 'reversed' | 'not-found' | 'queued' | 'refused' | 'unknown' | 'not-needed';
}

export type ReversalOutcome =
  | { readonly kind: 'processed' | 'replayed'; readonly result: ReversalResult }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'in-flight' };

export interface ReversalDeps {
  readonly db: Db;
  readonly idempotency: IdempotencyRepository;
  readonly payments: PaymentsRepository;
  readonly billers: BillerClient;
  readonly billerDirectory: BillerDirectory;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** How long to wait for an original that is still being processed. */
  readonly originalWaitMs?: number;
  /** Keeps advices that overtook their original. */
  readonly earlyReversals?: EarlyReversals;
  /** Where the partner's `payment.reversed` event is recorded (the webhook outbox). */
  readonly events?: PaymentEventSink;
  /** Undoes the posting with what that owes outside (the refund, the agent-core reversal). */
  readonly undo: PostingUndo;
  /** Store and forward of the biller's reversal, the agent-core reversal (src/pipeline/resolution). */
  readonly followUps: FollowUps;
  readonly decisions: PaymentDecisions;
  /** When a reversal the biller did not confirm is first sent again. */
  readonly billerReversalRetryMs?: number;
}

/**
 * Reverses an earlier payment, whatever protocol asks (ISO 8583 0400/0420, ISO 20022 pacs.004 and
 * camt.056). The partner's reversal is honoured in our ledger even when the biller cannot confirm its
 * side at once: that leaves a difference for reconciliation, never a payment the partner believes
 * reversed while we still hold it.
 */
export class ReversalService {
  constructor(private readonly d: ReversalDeps) {}

  async reverse(req: ReversalRequest): Promise<ReversalOutcome> {
    const now = new Date();
    const key: IdempotencyScope = {
      partnerId: req.partnerId,
      scope: req.reversal.scope,
      key: req.reversal.key,
    };
    const claimed = await this.d.db
      .transaction()
      .execute((tx) => this.d.idempotency.begin(tx, key, req.fingerprint, null, now));
    if (claimed.kind === 'conflict') return { kind: 'conflict' };
    if (claimed.kind === 'in-flight') return { kind: 'in-flight' };
    if (claimed.kind === 'replay') return { kind: 'replayed', result: claimed.result as ReversalResult };

    const result = await this.process(req).catch(async (error: unknown) => {
      // Leave no key stuck in flight: the partner may repeat the reversal and get a real answer.
      await this.release(key);
      throw error;
    });
    if (result.result.status === 'ORIGINAL_IN_FLIGHT') {
      // Nothing was decided: release the key so a repeat of this reversal is evaluated afresh.
      await this.release(key);
      return { kind: 'in-flight' };
    }
    if (result.tx === undefined) {
      await this.d.db
        .transaction()
        .execute((tx) => this.d.idempotency.complete(tx, key, result.result, new Date()));
    } else {
      await this.d.db.transaction().execute(async (tx) => {
        await result.tx?.(tx);
        await this.d.idempotency.complete(tx, key, result.result, new Date());
      });
      await result.afterCommit?.();
    }
    this.d.metrics.payments.inc({
      partner: req.partnerId,
      protocol: req.reversal.scope,
      status: 'REVERSAL',
      reason: result.result.status,
    });
    this.d.log.info({ partner: req.partnerId, ...result.result }, 'reversal answered');
    return { kind: 'processed', result: result.result };
  }

  private async process(
    req: ReversalRequest,
    mayKeep = true,
  ): Promise<{
    result: ReversalResult;
    tx?: (tx: Tx) => Promise<void>;
    /** What the committed reversal owes outside: the refund, the agent-core reversal. */
    afterCommit?: () => Promise<void>;
  }> {
    const found = await this.findOriginal(req);
    if (found === 'reserved') {
      return {
        result: { status: 'ALREADY_REVERSED', originalPaymentId: null, billerReversal: 'not-needed' },
      };
    }
    if (found === undefined && req.advice === true && mayKeep && this.d.earlyReversals !== undefined) {
      if ((await this.d.earlyReversals.remember(req)) === 'remembered') {
        return {
          result: { status: 'AWAITING_ORIGINAL', originalPaymentId: null, billerReversal: 'not-needed' },
        };
      }
      return this.process(req, false); // the original claimed its key meanwhile: decide against it
    }
    const original =
      found !== undefined && found !== 'in-flight' && req.originalMatches?.(found.origin) === false
        ? undefined
        : found;
    if (original === 'in-flight') {
      return {
        result: { status: 'ORIGINAL_IN_FLIGHT', originalPaymentId: null, billerReversal: 'not-needed' },
      };
    }
    if (original === undefined) {
      return {
        result: { status: 'ORIGINAL_NOT_FOUND', originalPaymentId: null, billerReversal: 'not-needed' },
      };
    }
    const base = { originalPaymentId: original.id };
    const otherCurrency = req.currency !== undefined && req.currency !== original.currency;
    if (otherCurrency || (req.amountMinor !== undefined && req.amountMinor !== original.amountMinor)) {
      return { result: { ...base, status: 'AMOUNT_MISMATCH', billerReversal: 'not-needed' } };
    }
    // A payment parked for ops keeps the outcome the partner was told; one parked undecided is reversible.
    const state = original.attention?.parkedFrom ?? original.state;
    if (state === 'REVERSED')
      return { result: { ...base, status: 'ALREADY_REVERSED', billerReversal: 'not-needed' } };
    if (state === 'DECLINED') {
      return { result: { ...base, status: 'NOTHING_TO_REVERSE', billerReversal: 'not-needed' } };
    }

    // The biller first: a reversal it confirms is one the partner may rely on. One it cannot take now
    // is stored and forwarded until it does; one it refuses leaves the payment with ops.
    let billerReversal: ReversalResult['billerReversal'] = 'not-needed';
    if (original.route !== null && (state === 'APPROVED' || state === 'PENDING')) {
      const endpoint = await this.d.billerDirectory.get(original.route.billerEndpoint);
      const answer =
        endpoint === undefined ? 'unknown' : await this.d.billers.reverse(endpoint, original.id, req.reason);
      billerReversal = answer === 'unknown' ? 'queued' : answer;
      if (answer === 'refused' || (answer === 'not-found' && original.billerReceipt !== null)) {
        this.d.log.error(
          { paymentId: original.id, billerReversal },
          'biller did not take the reversal; parked for ops',
        );
      } else if (answer === 'unknown') {
        this.d.log.warn(
          { paymentId: original.id },
          'biller did not confirm the reversal; stored and forwarded',
        );
      }
    }
    const result: ReversalResult = { ...base, status: 'REVERSED', billerReversal };
    let owed: UndoOwed = NOTHING_OWED;
    return {
      result,
      tx: async (tx) => {
        const state = await this.d.payments.lockState(tx, original.id);
        if (state === 'REVERSED' || state === 'DECLINED') return;
        const now = new Date();
        const current = (await this.d.payments.findById(tx, original.id)) ?? original;
        // Parked with an outcome already (a follow-up owed to ops): that outcome stands.
        if (state === 'NEEDS_ATTENTION' && current.attention?.parkedFrom !== 'PENDING') return;
        // A payment left PENDING before anything was posted (core banking never answered, or the
        // sweep caught it before the debit) has nothing to undo: PostingUndo undoes only a posting.
        owed = await this.d.undo.inTx(tx, current, `reversal of ${original.id}: ${req.reason}`);
        await this.d.payments.update(tx, original.id, { state: 'REVERSED', reasonCode: current.reasonCode });
        await this.d.events?.record(tx, [paymentReversedEvent(current, 'partner', req.reason, now)]);
        if (billerReversal === 'queued') {
          const retryAt = new Date(now.getTime() + (this.d.billerReversalRetryMs ?? 5_000));
          await this.d.followUps.forwardReversalToBiller(tx, original.id, req.reason, retryAt);
        } else if (billerReversal === 'refused') {
          await this.d.decisions.parkInTx(
            tx,
            original.id,
            `the biller refused the reversal of ${original.id}`,
          );
        } else if (billerReversal === 'not-found' && current.billerReceipt !== null) {
          await this.d.decisions.parkInTx(
            tx,
            original.id,
            `the biller does not know payment ${original.id} it confirmed with receipt ${current.billerReceipt}`,
          );
        }
      },
      afterCommit: () => this.d.undo.afterCommit(original.id, owed),
    };
  }

  private async release(key: IdempotencyScope): Promise<void> {
    await this.d.db
      .deleteFrom('idempotency_keys')
      .where('partner_id', '=', key.partnerId)
      .where('scope', '=', key.scope)
      .where('key', '=', key.key)
      .where('state', '=', 'in_flight')
      .execute();
  }

  /** The original payment, waiting a little if it is still being processed. */
  private async findOriginal(req: ReversalRequest): Promise<Payment | 'in-flight' | 'reserved' | undefined> {
    const deadline = Date.now() + (this.d.originalWaitMs ?? 5_000);
    for (;;) {
      const row = await this.d.db
        .selectFrom('idempotency_keys')
        .select(['payment_id', 'state', 'fingerprint'])
        .where('partner_id', '=', req.partnerId)
        .where('scope', '=', req.original.scope)
        .where('key', '=', req.original.key)
        .executeTakeFirst();
      // Kept by an earlier reversal that overtook the original: that one already reversed it.
      if (row?.fingerprint === RESERVED_BY_EARLY_REVERSAL && row.payment_id === null) return 'reserved';
      if (row?.payment_id == null) return undefined;
      if (row.state === 'completed') return this.d.payments.findById(this.d.db, row.payment_id);
      if (Date.now() > deadline) return 'in-flight';
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
