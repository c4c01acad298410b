import type { OpsAuditLog } from '../../domain/audit/ops-audit-log';
import type { Db } from '../../domain/db';
import type { IdempotencyRepository } from '../../domain/idempotency/idempotency.repository';
import type { Ledger } from '../../domain/ledger/ledger';
import type { Payment } from '../../domain/payments/payment';
import type { PaymentsRepository } from '../../domain/payments/payments.repository';
import type { CoreBankingRefunds } from '../../domain/posting/core-banking-refunds';
import type { JobQueue } from '../../infrastructure/jobs';
import { BILLER_REVERSAL, RESOLVE } from './follow-ups';
import type { Decided, PaymentDecisions } from './payment-decisions';

/** What ops may decide for a payment parked in NEEDS_ATTENTION. */
export type OpsOutcome = 'APPROVED' | 'DECLINED' | 'REVERSED' | 'PENDING';

export interface OpsDecisionRequest {
  readonly paymentId: string;
  readonly outcome: OpsOutcome;
  readonly reason: string;
  readonly actor: string;
  /** APPROVED: the biller's receipt, when ops learned it (by phone, from the biller's portal). */
  readonly billerReceipt?: string;
  /** A refused refund settled by hand: the reference of how (a cheque number, a transfer id). */
  readonly settlementReference?: string;
}

export type OpsDecisionRefusal =
  'NOT_FOUND' | 'NOT_PARKED' | 'OUTCOME_NOT_ALLOWED' | 'NOT_POSTED' | 'MISSING';

export type OpsDecisionResult =
  | { readonly kind: 'decided'; readonly payment: Payment }
  | { readonly kind: 'refused'; readonly code: OpsDecisionRefusal; readonly detail: string };

class Refused extends Error {
  constructor(
    readonly code: OpsDecisionRefusal,
    detail: string,
  ) {
    super(detail);
  }
}

export interface OpsDecisionsDeps {
  readonly db: Db;
  readonly payments: PaymentsRepository;
  readonly idempotency: IdempotencyRepository;
  readonly ledger: Ledger;
  readonly refunds: CoreBankingRefunds;
  readonly decisions: PaymentDecisions;
  readonly queue: JobQueue;
  readonly audit: Pick<OpsAuditLog, 'append'>;
  readonly now?: () => Date;
}

/**
 * The manual decision on a payment parked in NEEDS_ATTENTION, with a mandatory reason, written to
 * the ops audit chain in the transaction that makes it.
 *
 * Parked undecided (from PENDING): APPROVED (only if our ledger holds the posting: money we never
 * took cannot be approved), DECLINED (the posting undone, a refund owed), or PENDING (resume the
 * automatic resolution with a fresh set of attempts). The partner hears `payment.resolved`.
 * Parked with an outcome (a follow-up failed: a refund core banking refused, a reversal the biller
 * would not take): that outcome was given to the partner and stands; ops confirm it once they have
 * handled the follow-up by hand (a refund settled by hand needs its reference).
 */
export class OpsDecisions {
  constructor(private readonly d: OpsDecisionsDeps) {}

  async decide(req: OpsDecisionRequest): Promise<OpsDecisionResult> {
    const now = this.d.now?.() ?? new Date();
    try {
      const done = await this.d.db.transaction().execute(async (tx) => {
        await this.d.idempotency.lockByPayment(tx, req.paymentId);
        const payment = await this.d.payments.findById(tx, req.paymentId);
        if (payment === undefined) throw new Refused('NOT_FOUND', `no payment ${req.paymentId}`);
        await this.d.payments.lockState(tx, req.paymentId);
        const before = (await this.d.payments.findById(tx, req.paymentId)) ?? payment;
        if (before.state !== 'NEEDS_ATTENTION' || before.attention === null) {
          throw new Refused(
            'NOT_PARKED',
            `payment ${req.paymentId} is ${before.state}: only a payment in NEEDS_ATTENTION takes a decision`,
          );
        }
        const from = before.attention.parkedFrom;
        let decided: Decided | undefined;
        let after: Payment;
        if (from !== 'PENDING') {
          if (req.outcome !== from) {
            throw new Refused(
              'OUTCOME_NOT_ALLOWED',
              `the partner was told ${from}; that outcome stands: confirm ${from} once the follow-up is handled`,
            );
          }
          const refund = await this.d.refunds.find(tx, req.paymentId);
          if (refund !== undefined && (refund.state === 'refused' || refund.state === 'owed')) {
            if (req.settlementReference === undefined) {
              throw new Refused(
                'MISSING',
                'a refund is still owed to the customer: give settlementReference (how it was settled by hand)',
              );
            }
            await this.d.refunds.settleByHand(tx, req.paymentId, req.settlementReference, now);
          }
          // The biller's copy of the reversal, handled by hand: stop sending it.
          await this.d.queue.completePending(tx, BILLER_REVERSAL, req.paymentId);
          after = await this.d.payments.update(tx, req.paymentId, {
            state: from,
            reasonCode: before.reasonCode,
          });
        } else if (req.outcome === 'PENDING') {
          after = await this.d.payments.update(tx, req.paymentId, {
            state: 'PENDING',
            reasonCode: before.reasonCode,
          });
          if (!(await this.d.queue.revive(tx, RESOLVE, req.paymentId))) {
            await this.d.queue.enqueue(tx, {
              kind: RESOLVE,
              dedupeKey: req.paymentId,
              payload: { paymentId: req.paymentId },
            });
          }
        } else if (req.outcome === 'APPROVED' || req.outcome === 'DECLINED') {
          if (req.outcome === 'APPROVED') {
            const journals = await this.d.ledger.postingsOf(tx, req.paymentId);
            if (!journals.posted || journals.reversed) {
              throw new Refused(
                'NOT_POSTED',
                'our ledger holds no posting for this payment (the payer was never debited): it can only be declined',
              );
            }
          }
          decided = await this.d.decisions.decideInTx(
            tx,
            req.paymentId,
            req.outcome === 'APPROVED'
              ? {
                  to: 'APPROVED',
                  ...(req.billerReceipt !== undefined ? { billerReceipt: req.billerReceipt } : {}),
                }
              : { to: 'DECLINED', reasonCode: before.reasonCode, memo: `ops decision: ${req.reason}` },
            { from: ['NEEDS_ATTENTION'], by: 'ops' },
          );
          if (decided === undefined) throw new Refused('NOT_PARKED', 'the payment was decided meanwhile');
          after = decided.payment;
        } else {
          throw new Refused(
            'OUTCOME_NOT_ALLOWED',
            'an undecided payment is APPROVED, DECLINED, or given back to its resolution (PENDING)',
          );
        }
        await this.d.audit.append(tx, {
          actor: req.actor,
          action: 'payment.decision',
          subjectType: 'payment',
          subjectId: req.paymentId,
          reason: req.reason,
          before: { state: before.state, parkedFrom: from, attention: before.attention.reason },
          after: {
            state: after.state,
            reasonCode: after.reasonCode,
            billerReceipt: after.billerReceipt,
            ...(req.settlementReference !== undefined
              ? { settlementReference: req.settlementReference }
              : {}),
          },
        });
        return { after, decided };
      });
      if (done.decided !== undefined) await this.d.decisions.afterCommit(done.decided);
      return { kind: 'decided', payment: done.after };
    } catch (error) {
      if (error instanceof Refused) return { kind: 'refused', code: error.code, detail: error.message };
      throw error;
    }
  }
}
