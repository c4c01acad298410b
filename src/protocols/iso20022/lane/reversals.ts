import type { Logger } from '../../../infrastructure/logging/logger';
import { fingerprint } from '../../../domain/idempotency/fingerprint';
import type { ReversalOutcome, ReversalService } from '../../../pipeline/reversal.service';
import { untilSettled } from '../../../pipeline/until-settled';
import {
  CAMT056_REVERSAL_ANSWERS,
  PACS004_REVERSAL_ANSWERS,
  reversalEndOf,
  type ReversalEnd,
} from '../../reversal-answers';
import {
  answerCancellation,
  answerPayments,
  idempotencyKey,
  toCancellationInstructions,
  toReturnInstructions,
  type BuiltAnswer,
  type CancellationInstruction,
  type Clock,
  type ReceivedMessage,
  type ReturnInstruction,
  type TransactionOutcome,
} from '..';
import type { CancellationDecision } from '../builders/camt029';
import type { Camt056, Pacs004 } from '../readers/return-and-cancellation';
import {
  ISO20022_CANCELLATION_SCOPE,
  ISO20022_PAYMENT_SCOPE,
  ISO20022_RETURN_SCOPE,
  mapLimited,
  narr,
  type Iso20022Caller,
} from './lane-contract';

export interface Iso20022ReversalsDeps {
  readonly reversals: ReversalService;
  readonly log: Logger;
  readonly clock: Clock;
  /** How long a reversal waits for a duplicate of itself still in flight. */
  readonly inFlightWaitMs?: number;
  /** Reversals of one message processed at the same time. */
  readonly concurrency?: number;
  /**
   * The UETR a partner's payment was made under, found by its MsgId and EndToEndId: a payment keyed by
   * UETR can then be returned or cancelled by a message that quotes only those two.
   */
  readonly findOriginalUetr?: (
    partnerId: string,
    msgId: string,
    endToEndId: string,
  ) => Promise<string | undefined>;
}

/**
 * pacs.004 returns (answered with pacs.002) and camt.056 cancellation requests (answered with
 * camt.029): each a reversal of the original payment it names, answered from the shared reversal
 * table (src/protocols/reversal-answers.ts).
 */
export class Iso20022Reversals {
  constructor(private readonly d: Iso20022ReversalsDeps) {}

  async returns(
    m: ReceivedMessage,
    doc: Pacs004,
    caller: Iso20022Caller,
    msgId: string,
  ): Promise<BuiltAnswer> {
    if (m.problems.group.length > 0) return answerPayments(m, [], { msgId, clock: this.d.clock });
    const returns = toReturnInstructions(doc, m);
    const outcomes = await mapLimited(returns, this.d.concurrency ?? 4, (r) => this.returnOne(r, caller));
    return answerPayments(m, outcomes, { msgId, clock: this.d.clock });
  }

  private async returnOne(
    r: ReturnInstruction,
    caller: Iso20022Caller,
  ): Promise<TransactionOutcome | undefined> {
    if (r.problems.length > 0) return undefined;
    const original = await this.originalOf(caller, r.originalMsgId, r.originalEndToEndId, r.originalUetr);
    if (original === undefined) return narr('RJCT', NO_ORIGINAL_NAMED);
    const outcome = await this.reverse(caller, original, {
      scope: ISO20022_RETURN_SCOPE,
      key: `${r.msgId.length}:${r.msgId}:${r.rtrId ?? `#${r.index}`}`,
      fingerprint: fingerprint({
        original: original.key,
        amountMinor: r.amountMinor?.toString(),
        currency: r.currency,
        reason: r.reasonCode,
      }),
      reason: `pacs.004 return${r.reasonCode === undefined ? '' : ` (${r.reasonCode})`}`,
      ...(r.amountMinor === undefined ? {} : { amountMinor: r.amountMinor }),
      ...(r.currency === undefined ? {} : { currency: r.currency }),
    });
    return pacs004Answer(PACS004_REVERSAL_ANSWERS[reversalEndOf(outcome)], original);
  }

  async cancellations(
    m: ReceivedMessage,
    doc: Camt056,
    caller: Iso20022Caller,
    msgId: string,
  ): Promise<BuiltAnswer> {
    const groupProblem = m.problems.group[0];
    const requests = toCancellationInstructions(doc, m);
    const decisions =
      groupProblem === undefined
        ? await mapLimited(requests, this.d.concurrency ?? 4, (c) => this.cancelOne(c, caller))
        : requests.map(() => rejected('AGNT', `${groupProblem.reason}: ${groupProblem.message}`));
    return answerCancellation(m, decisions, { msgId, clock: this.d.clock });
  }

  private async cancelOne(c: CancellationInstruction, caller: Iso20022Caller): Promise<CancellationDecision> {
    const problem = c.problems[0];
    if (problem !== undefined) return rejected('AGNT', `${problem.reason}: ${problem.message}`);
    const original = await this.originalOf(caller, c.originalMsgId, c.originalEndToEndId, c.originalUetr);
    if (original === undefined) return rejected('NOOR', NO_ORIGINAL_NAMED);
    const outcome = await this.reverse(caller, original, {
      scope: ISO20022_CANCELLATION_SCOPE,
      key: `${c.assignmentId.length}:${c.assignmentId}:${c.cxlId ?? `#${c.index}`}`,
      fingerprint: fingerprint({ original: original.key, reason: c.reasonCode, caseId: c.caseId }),
      reason: `camt.056 cancellation${c.reasonCode === undefined ? '' : ` (${c.reasonCode})`}`,
    });
    return camt029Decision(CAMT056_REVERSAL_ANSWERS[reversalEndOf(outcome)], original);
  }

  /** The original payment's idempotency identity, from what a return or cancellation quotes. */
  private async originalOf(
    caller: Iso20022Caller,
    msgId: string | undefined,
    endToEndId: string | undefined,
    uetr: string | undefined,
  ): Promise<OriginalRef | undefined> {
    const quoted = originalOf(msgId, endToEndId, uetr);
    if (
      quoted === undefined ||
      (uetr !== undefined && uetr !== '') ||
      this.d.findOriginalUetr === undefined
    ) {
      return quoted;
    }
    const paidUnder = await this.d.findOriginalUetr(caller.partner.id, msgId ?? '', endToEndId ?? '');
    return paidUnder === undefined
      ? quoted
      : { key: idempotencyKey({ msgId: '', endToEndId: '', uetr: paidUnder }), name: quoted.name };
  }

  private async reverse(
    caller: Iso20022Caller,
    original: OriginalRef,
    r: {
      scope: string;
      key: string;
      fingerprint: string;
      reason: string;
      amountMinor?: bigint;
      currency?: string;
    },
  ): Promise<ReversalOutcome | 'failed'> {
    try {
      return await untilSettled(this.d.inFlightWaitMs, () =>
        this.d.reversals.reverse({
          partnerId: caller.partner.id,
          original: { scope: ISO20022_PAYMENT_SCOPE, key: original.key },
          reversal: { scope: r.scope, key: r.key },
          fingerprint: r.fingerprint,
          reason: r.reason,
          ...(r.amountMinor === undefined ? {} : { amountMinor: r.amountMinor }),
          ...(r.currency === undefined ? {} : { currency: r.currency }),
        }),
      );
    } catch (error) {
      this.d.log.error(
        { err: error, partner: caller.partner.id, original: original.name },
        'reversal failed',
      );
      return 'failed';
    }
  }
}

const NO_ORIGINAL_NAMED =
  'No original payment named: OrgnlUETR, or OrgnlMsgId with OrgnlEndToEndId, is required';

interface OriginalRef {
  /** The original payment's idempotency key, as its pacs.008/pain.001 derived it. */
  readonly key: string;
  /** How the request named it, for a rejection. */
  readonly name: string;
}

/** The UETR when the return/cancellation gives one (as the payment's key did), else MsgId + EndToEndId. */
function originalOf(
  msgId: string | undefined,
  endToEndId: string | undefined,
  uetr: string | undefined,
): OriginalRef | undefined {
  if (uetr !== undefined && uetr !== '') {
    return { key: idempotencyKey({ msgId: '', endToEndId: '', uetr }), name: `UETR ${uetr}` };
  }
  if (msgId === undefined || msgId === '' || endToEndId === undefined || endToEndId === '') return undefined;
  return {
    key: idempotencyKey({ msgId, endToEndId }),
    name: `MsgId ${msgId}, EndToEndId ${endToEndId}`,
  };
}

function rejected(
  code: NonNullable<CancellationDecision['reason']>['code'],
  additionalInfo: string,
): CancellationDecision {
  return { status: 'RJCR', reason: { code, additionalInfo } };
}

/** The pacs.004 column of the reversal table as a pacs.002 transaction status. */
function pacs004Answer(
  answer: (typeof PACS004_REVERSAL_ANSWERS)[ReversalEnd],
  original: OriginalRef,
): TransactionOutcome {
  if ('reasonCode' in answer) return answer.reasonCode;
  if (!('reason' in answer)) return { status: answer.status };
  const { reason } = answer;
  return { status: answer.status, reason: { code: reason.code, additionalInfo: textOf(reason, original) } };
}

/** The camt.056 column of the reversal table as a camt.029 decision. */
function camt029Decision(
  answer: (typeof CAMT056_REVERSAL_ANSWERS)[ReversalEnd],
  original: OriginalRef,
): CancellationDecision {
  if (!('reason' in answer)) return { status: answer.status };
  const { reason } = answer;
  return { status: answer.status, reason: { code: reason.code, additionalInfo: textOf(reason, original) } };
}

function textOf(
  reason: { readonly text: string; readonly namesOriginal: boolean },
  original: OriginalRef,
): string {
  return reason.namesOriginal ? `${reason.text}: ${original.name}` : reason.text;
}
