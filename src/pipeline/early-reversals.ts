import type { Db } from '../domain/db';
import type { IdempotencyRepository, IdempotencyScope } from '../domain/idempotency/idempotency.repository';
import type { EarlyReversalsRepository } from '../domain/payments/early-reversals.repository';
import type { NewPayment, PaymentsRepository } from '../domain/payments/payments.repository';
import type { Logger } from '../infrastructure/logging/logger';
import type { PayOutcome } from './bill-pay-command';
import { deserialiseResult, resultOf, serialiseResult } from './bill-pay-result';

/**
 * The fingerprint of an original's idempotency key reserved by a reversal that overtook it. No
 * request digest has this form, so the late original always meets it as a conflict, which
 * declineLateOriginal then explains.
 */
export const RESERVED_BY_EARLY_REVERSAL = 'reserved:early-reversal';

export interface EarlyReversalRequest {
  readonly partnerId: string;
  readonly original: { readonly scope: string; readonly key: string };
  readonly reversal: { readonly scope: string; readonly key: string };
  readonly reason: string;
  readonly amountMinor?: bigint;
  readonly currency?: string;
}

export interface EarlyReversalsDeps {
  readonly db: Db;
  readonly idempotency: IdempotencyRepository;
  readonly payments: PaymentsRepository;
  readonly earlyReversals: EarlyReversalsRepository;
  readonly log: Logger;
}

/**
 * A reversal advice the partner sends after reversing on its side may overtake its original (another
 * connection, another node). It is acknowledged and kept; the original, when it comes, is recorded
 * DECLINED and answered so, never posted: the customer is never debited for a transaction the
 * acquirer already reversed. Advice and original race on one primary key, the original's idempotency
 * key, so across any number of nodes exactly one order wins.
 */
export class EarlyReversals {
  constructor(private readonly d: EarlyReversalsDeps) {}

  /** Keeps the reversal, reserving its original's key; 'original-exists' if the original got there first. */
  async remember(req: EarlyReversalRequest, now = new Date()): Promise<'remembered' | 'original-exists'> {
    return this.d.db.transaction().execute(async (tx) => {
      const reserved = await this.d.idempotency.reserve(
        tx,
        { partnerId: req.partnerId, ...req.original },
        RESERVED_BY_EARLY_REVERSAL,
        { reservedBy: req.reversal },
        now,
      );
      if (!reserved) return 'original-exists';
      await this.d.earlyReversals.insert(tx, {
        partnerId: req.partnerId,
        original: req.original,
        reversal: req.reversal,
        amountMinor: req.amountMinor ?? null,
        currency: req.currency ?? null,
        reason: req.reason,
        receivedAt: now,
      });
      this.d.log.warn(
        { partner: req.partnerId, original: req.original.key, reversal: req.reversal.key },
        'reversal arrived before its original; kept, the original will be declined',
      );
      return 'remembered';
    });
  }

  /**
   * A payment whose key is already taken: if a kept reversal took it, the payment is recorded as
   * `declined` under that key and answered like any decision (a copy of it then replays that answer).
   * Undefined when no kept reversal explains the conflict.
   */
  async declineLateOriginal(
    key: IdempotencyScope,
    fingerprint: string,
    declined: NewPayment,
    now = new Date(),
  ): Promise<PayOutcome | undefined> {
    if ((await this.d.earlyReversals.find(this.d.db, key)) === undefined) return undefined;
    return this.d.db.transaction().execute(async (tx): Promise<PayOutcome> => {
      const kept = await this.d.earlyReversals.lock(tx, key);
      if (kept !== undefined && kept.paymentId === null) {
        const payment = await this.d.payments.insert(tx, declined);
        const result = resultOf(payment);
        const adopted = await this.d.idempotency.adopt(
          tx,
          key,
          RESERVED_BY_EARLY_REVERSAL,
          { fingerprint, paymentId: payment.id, result: serialiseResult(result) },
          now,
        );
        if (!adopted)
          throw new Error(`idempotency key ${key.scope}/${key.key} was not reserved by its reversal`);
        await this.d.earlyReversals.markMatched(tx, key, payment.id, now);
        this.d.log.warn(
          { paymentId: payment.id, partner: key.partnerId, reversal: kept.reversal.key },
          'original arrived after its reversal; declined, nothing posted',
        );
        return { kind: 'processed', result };
      }
      // An earlier copy of this original already met the reversal: answer as its duplicate.
      const existing = await this.d.idempotency.existing(tx, key, fingerprint);
      switch (existing.kind) {
        case 'replay':
          return { kind: 'replayed', result: deserialiseResult(existing.result) };
        case 'conflict':
          return { kind: 'conflict', paymentId: existing.paymentId };
        case 'in-flight':
          return { kind: 'in-flight', paymentId: existing.paymentId };
      }
    });
  }
}
