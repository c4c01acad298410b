import type { BillTypeCatalog } from '../../../domain/catalog/bill-types';
import type { UetrClaims } from '../../../domain/idempotency/uetr-claims';
import type { PayerRef } from '../../../domain/partners/classify';
import type { Partner } from '../../../domain/partners/partner';
import type { Logger } from '../../../infrastructure/logging/logger';
import type { BillPayResult } from '../../../pipeline/bill-pay-command';
import type { BillPayPipeline } from '../../../pipeline/bill-pay.pipeline';
import { IntakeStep } from '../../../pipeline/intake-step';
import {
  answerPayments,
  isoStatusFor,
  toInstructions,
  type BuiltAnswer,
  type Clock,
  type ReceivedMessage,
  type TransactionInstruction,
  type TransactionOutcome,
} from '..';
import type { CreditorDirectory } from './creditor-directory';
import { laneChecks } from './transaction-checks';
import { ISO20022_PAYMENT_SCOPE, mapLimited, narr, type Iso20022Caller } from './lane-contract';

export interface Iso20022PaymentsDeps {
  readonly pipeline: BillPayPipeline;
  readonly billTypes: BillTypeCatalog;
  readonly creditors: CreditorDirectory;
  /** Who each UETR belongs to: the first partner to present it for payment. */
  readonly uetrs: Pick<UetrClaims, 'claim'>;
  readonly log: Logger;
  readonly clock: Clock;
  /** How long a transaction waits for a duplicate of itself still in flight before answering ACSP. */
  readonly inFlightWaitMs?: number;
  /** Transactions of one message processed at the same time. */
  readonly concurrency?: number;
}

/** RJCT DUPL: a UETR is unique worldwide, and another sender's payment already carries this one. */
const uetrTaken = (uetr: string): TransactionOutcome => ({
  status: 'RJCT',
  reason: { code: 'DUPL', additionalInfo: `UETR ${uetr} was already used by another sender` },
});

const STILL_IN_FLIGHT = narr('ACSP', 'Still being processed: send the message again for the final status');

/**
 * pacs.008 and pain.001: each credit transfer a bill payment through the shared intake step,
 * answered with pacs.002 / pain.002 (one status per transaction).
 */
export class Iso20022Payments {
  private readonly intake: IntakeStep;

  constructor(private readonly d: Iso20022PaymentsDeps) {
    this.intake = new IntakeStep({
      pipeline: d.pipeline,
      isKnownBillType: (code) => d.billTypes.has(code),
      now: () => d.clock.now(),
      inFlight: { wait: true, ...(d.inFlightWaitMs === undefined ? {} : { maxMs: d.inFlightWaitMs }) },
    });
  }

  async answer(m: ReceivedMessage, caller: Iso20022Caller, msgId: string): Promise<BuiltAnswer> {
    const batch = toInstructions(m, { billTypeByCreditor: await this.d.creditors.lookup() });
    if (batch === undefined) throw new Error(`${m.messageType} carries no payment instructions`);
    if (batch.groupProblems.length > 0) {
      // The whole message is rejected (NbOfTxs, CtrlSum, AppHdr...): nothing is posted.
      return answerPayments(m, [], { msgId, clock: this.d.clock });
    }
    const settled = await mapLimited(batch.instructions, this.d.concurrency ?? 4, (i) =>
      this.payOne(i, caller),
    );
    // CreDtTm of the answer: when the message's last payment was received, so that a duplicate
    // message is answered byte for byte as the first time (same MsgId, same time, same statuses).
    const times = settled.flatMap((s) => (s.at === undefined ? [] : [s.at.getTime()]));
    const clock: Clock = times.length === 0 ? this.d.clock : { now: () => new Date(Math.max(...times)) };
    return answerPayments(
      m,
      settled.map((s) => s.outcome),
      { msgId, clock },
    );
  }

  private async payOne(
    ins: TransactionInstruction,
    caller: Iso20022Caller,
  ): Promise<{ outcome: TransactionOutcome | undefined; at?: Date }> {
    // A transaction the library found faulty is answered RJCT with its problem and never posted.
    if (ins.problems.length > 0) return { outcome: undefined };
    const { partner, lane } = caller;
    // The lane's own checks, shared with `billgate iso20022 validate`; the bill type is checked again
    // by the intake step against the same catalogue (a no-op unless it changed in between).
    const checks = await laneChecks(ins, { billTypeOffered: (code) => this.d.billTypes.has(code) });
    if ('refused' in checks) return { outcome: checks.refused };
    const { billType, billReference, account, amountMinor, currency } = checks.checked;
    type Settled = { outcome: TransactionOutcome | undefined; at?: Date };
    try {
      return await this.intake.pay<Settled>(
        {
          protocol: 'iso20022',
          lane,
          billType,
          scope: ISO20022_PAYMENT_SCOPE,
          idempotencyKey: ins.idempotencyKey,
        },
        () => {
          const origin: Record<string, string> = {
            messageType: ins.messageType,
            msgId: ins.msgId,
            endToEndId: ins.endToEndId,
          };
          if (ins.uetr !== undefined) origin.uetr = ins.uetr;
          if (ins.instrId !== undefined) origin.instrId = ins.instrId;
          if (ins.txId !== undefined) origin.txId = ins.txId;
          if (ins.pmtInfId !== undefined) origin.pmtInfId = ins.pmtInfId;
          return {
            partner,
            payer: payerOf(partner, account),
            billReference,
            amountMinor,
            currency,
            partnerReference: ins.partnerReference,
            origin,
            // The transaction's content, whatever message carried it: the same ids with anything else
            // changed are a conflict (RJCT DUPL), the same content again is a duplicate (replayed).
            content: {
              endToEndId: ins.endToEndId,
              uetr: ins.uetr,
              instrId: ins.instrId,
              txId: ins.txId,
              billType,
              billReference,
              amountMinor: amountMinor.toString(),
              currency,
              payer: account,
              creditorId: ins.creditorId,
              creditorAccount: ins.creditorAccount,
            },
          };
        },
        {
          billTypeNotOffered: (code) => ({ outcome: narr('RJCT', `Bill type ${code} is not offered`) }),
          payerTypeNotAllowed: () => ({ outcome: 'PAYER_TYPE_NOT_ALLOWED' }),
          settled: (result) => ({ outcome: outcomeOf(result), at: result.createdAt }),
          conflict: () => ({ outcome: 'DUPLICATE_CONFLICT' }),
          inFlight: () => ({ outcome: STILL_IN_FLIGHT }),
          beforePay: async (command) => {
            if (ins.uetr === undefined) return undefined;
            const claim = await this.d.uetrs.claim(ins.uetr, partner.id, command.receivedAt);
            if (claim.kind !== 'taken') return undefined;
            this.d.log.warn(
              { partner: partner.id, owner: claim.owner, uetr: ins.uetr, msgId: ins.msgId },
              'iso20022 payment refused: its UETR belongs to another partner',
            );
            return { refused: { outcome: uetrTaken(ins.uetr) } };
          },
        },
      );
    } catch (error) {
      this.d.log.error(
        { err: error, partner: partner.id, msgId: ins.msgId, endToEndId: ins.endToEndId },
        'iso20022 transaction failed',
      );
      return { outcome: 'SYSTEM_ERROR' };
    }
  }
}

/** The payer named by DbtrAcct, in the terms of the partner sending it (as the ISO 8583 lane does). */
function payerOf(partner: Partner, account: string): PayerRef {
  switch (partner.kind) {
    case 'bank':
      return { kind: 'account', id: account };
    case 'otc-network':
      return { kind: 'agent', id: account };
    default:
      return { kind: 'wallet', id: account };
  }
}

/** A payment's result as an ISO status input; a PENDING payment is ACSP whatever its code says. */
function outcomeOf(r: BillPayResult): TransactionOutcome {
  switch (r.status) {
    case 'APPROVED':
      return 'APPROVED';
    case 'PENDING':
      return isoStatusFor(r.reasonCode).status === 'ACSP' ? r.reasonCode : 'PROCESSING_INTERRUPTED';
    case 'DECLINED':
      return isoStatusFor(r.reasonCode).status === 'RJCT' ? r.reasonCode : 'SYSTEM_ERROR';
    case 'REVERSED':
      return narr('RJCT', 'The payment was reversed');
  }
}
