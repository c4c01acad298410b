import { createHash } from 'node:crypto';
import type { BillerSecretsRepository } from '../domain/biller-reversals/biller-secrets.repository';
import { isUniqueViolation, type Db, type Tx } from '../domain/db';
import type { Payment } from '../domain/payments/payment';
import type { PaymentEventSink } from '../domain/payments/payment-events';
import type { PaymentsRepository } from '../domain/payments/payments.repository';
import { verifySigned } from '../domain/webhooks/signing';
import type { Logger } from '../infrastructure/logging/logger';
import { NOTHING_OWED, type PostingUndo, type UndoOwed } from './posting-undo';
import { paymentReversedEvent } from './reversal-events';

/** A biller undoing a payment it accepted: by our payment id or by its own receipt. */
export interface BillerReversalRequest {
  readonly billerId: string;
  /** The biller's own id of this reversal: a repeat with the same id gets the same answer. */
  readonly reversalId: string;
  readonly paymentId?: string;
  readonly receipt?: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly reason: string;
}

export interface BillerReversalResult {
  readonly reversalId: string;
  readonly billerId: string;
  readonly paymentId: string;
  readonly status: 'REVERSED';
  readonly amountMinor: string;
  readonly currency: string;
  readonly reversedAt: string;
}

export type BillerReversalRefusal =
  | 'PAYMENT_NOT_FOUND'
  | 'NOT_REVERSIBLE'
  | 'ALREADY_REVERSED'
  | 'AMOUNT_MISMATCH'
  | 'PARTIAL_NOT_ALLOWED'
  | 'REVERSAL_ID_CONFLICT';

export type BillerReversalOutcome =
  | { readonly kind: 'reversed' | 'replayed'; readonly result: BillerReversalResult }
  | { readonly kind: 'refused'; readonly code: BillerReversalRefusal; readonly detail: string };

export interface BillerReversalDeps {
  readonly db: Db;
  readonly payments: PaymentsRepository;
  readonly secrets: BillerSecretsRepository;
  /** Undoes the posting with what that owes outside (the refund, the agent-core reversal). */
  readonly undo: PostingUndo;
  readonly events: PaymentEventSink;
  readonly log: Logger;
  readonly now?: () => Date;
}

class Refused extends Error {
  constructor(
    readonly code: BillerReversalRefusal,
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * Reversals a biller initiates, hours or days after it accepted a payment. The reversing journal,
 * the payment's move to REVERSED, the refund owed to a bank customer, the record of the biller's
 * reversal id and the partner's `payment.reversed` event commit in one transaction: either all of
 * it happened or none of it did. Anything refused changes nothing.
 */
export class BillerReversalService {
  constructor(private readonly d: BillerReversalDeps) {}

  private now(): Date {
    return this.d.now?.() ?? new Date();
  }

  /** Whether the request carries a valid Standard Webhooks signature of one of the biller's secrets. */
  async authenticate(
    billerId: string,
    rawBody: string,
    headers: Readonly<Record<string, string | string[] | undefined>>,
  ): Promise<boolean> {
    const secrets = await this.d.secrets.validAt(this.d.db, billerId, this.now());
    return secrets.length > 0 && verifySigned(secrets, rawBody, headers);
  }

  async reverse(req: BillerReversalRequest): Promise<BillerReversalOutcome> {
    const fingerprint = fingerprintOf(req);
    const earlier = await this.replay(this.d.db, req, fingerprint);
    if (earlier !== undefined) return earlier;
    const original = await this.findOriginal(req);
    if (original === undefined) {
      return { kind: 'refused', code: 'PAYMENT_NOT_FOUND', detail: 'no payment of this biller matches' };
    }
    try {
      let owed: UndoOwed = NOTHING_OWED;
      const outcome = await this.d.db.transaction().execute(async (tx) => {
        const answer = await this.reverseInTx(tx, req, original, fingerprint);
        owed = answer.owed;
        return answer.outcome;
      });
      await this.d.undo.afterCommit(original.id, owed);
      return outcome;
    } catch (error) {
      if (error instanceof Refused) return { kind: 'refused', code: error.code, detail: error.message };
      // The same reversal id committed by a concurrent request: answer what it answered.
      if (isUniqueViolation(error)) {
        const replay = await this.replay(this.d.db, req, fingerprint);
        if (replay !== undefined) return replay;
        return { kind: 'refused', code: 'ALREADY_REVERSED', detail: 'the payment is already reversed' };
      }
      throw error;
    }
  }

  private async reverseInTx(
    tx: Tx,
    req: BillerReversalRequest,
    original: Payment,
    fingerprint: string,
  ): Promise<{ outcome: BillerReversalOutcome; owed: UndoOwed }> {
    // The payment row is the lock every path that changes its state takes (finish, sweep, reversal).
    const state = await this.d.payments.lockState(tx, original.id);
    const replay = await this.replay(tx, req, fingerprint);
    if (replay !== undefined) return { outcome: replay, owed: NOTHING_OWED };
    if (state === 'REVERSED') throw new Refused('ALREADY_REVERSED', 'the payment is already reversed');
    if (state !== 'APPROVED') {
      throw new Refused(
        'NOT_REVERSIBLE',
        `the payment is ${state}: only an approved payment can be reversed`,
      );
    }
    if (req.currency !== original.currency) {
      throw new Refused('AMOUNT_MISMATCH', `the payment is in ${original.currency}, not ${req.currency}`);
    }
    if (req.amountMinor !== original.amountMinor) {
      const partial = req.amountMinor > 0n && req.amountMinor < original.amountMinor;
      if (!partial) throw new Refused('AMOUNT_MISMATCH', 'the amount is not the amount of the payment');
      // Whether the biller's terms allow it or not, only whole reversals are posted today.
      const allowed = await this.d.secrets.partialReversalsAllowed(tx, req.billerId);
      throw new Refused(
        'PARTIAL_NOT_ALLOWED',
        allowed
          ? 'partial reversals are not yet supported by the gateway'
          : "the biller's terms do not allow partial reversals",
      );
    }

    const now = this.now();
    const memo = `biller reversal ${req.reversalId} of ${original.id}: ${req.reason}`;
    const owed = await this.d.undo.inTx(tx, original, memo);
    await this.d.payments.update(tx, original.id, { state: 'REVERSED', reasonCode: original.reasonCode });
    const result: BillerReversalResult = {
      reversalId: req.reversalId,
      billerId: req.billerId,
      paymentId: original.id,
      status: 'REVERSED',
      amountMinor: req.amountMinor.toString(),
      currency: req.currency,
      reversedAt: now.toISOString(),
    };
    await tx
      .insertInto('biller_reversals')
      .values({
        biller_id: req.billerId,
        reversal_id: req.reversalId,
        payment_id: original.id,
        fingerprint,
        amount: req.amountMinor,
        currency: req.currency,
        reason: req.reason,
        result: JSON.stringify(result),
        created_at: now,
      })
      .execute();
    await this.d.events.record(tx, [paymentReversedEvent(original, 'biller', req.reason, now)]);
    this.d.log.info(
      { paymentId: original.id, biller: req.billerId, reversal: req.reversalId },
      'biller reversal posted',
    );
    return { outcome: { kind: 'reversed', result }, owed };
  }

  private async replay(
    db: Db | Tx,
    req: BillerReversalRequest,
    fingerprint: string,
  ): Promise<BillerReversalOutcome | undefined> {
    const row = await db
      .selectFrom('biller_reversals')
      .select(['fingerprint', 'result'])
      .where('biller_id', '=', req.billerId)
      .where('reversal_id', '=', req.reversalId)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    if (row.fingerprint !== fingerprint) {
      return {
        kind: 'refused',
        code: 'REVERSAL_ID_CONFLICT',
        detail: 'this reversal id was already used for a different reversal',
      };
    }
    return { kind: 'replayed', result: row.result as BillerReversalResult };
  }

  /** The payment the biller means, only among the payments routed to this biller. */
  private async findOriginal(req: BillerReversalRequest): Promise<Payment | undefined> {
    let q = this.d.db.selectFrom('payments').select('id').where('biller_endpoint', '=', req.billerId);
    if (req.paymentId !== undefined) {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(req.paymentId))
        return undefined;
      q = q.where('id', '=', req.paymentId);
    }
    if (req.receipt !== undefined) q = q.where('biller_receipt', '=', req.receipt);
    const rows = await q.limit(2).execute();
    if (rows.length !== 1 || rows[0] === undefined) return undefined;
    return this.d.payments.findById(this.d.db, rows[0].id);
  }
}

function fingerprintOf(req: BillerReversalRequest): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        req.paymentId ?? null,
        req.receipt ?? null,
        req.amountMinor.toString(),
        req.currency,
        req.reason,
      ]),
    )
    .digest('hex');
}
