import { createHash } from 'node:crypto';
import type { BillTypeCatalog } from '../../../domain/catalog/bill-types';
import type { LaneContext, PayerRef } from '../../../domain/partners/classify';
import type { Partner } from '../../../domain/partners/partner';
import type { Logger } from '../../../infrastructure/logging/logger';
import type { BillPayResult } from '../../../pipeline/bill-pay-command';
import { IntakeStep } from '../../../pipeline/intake-step';
import type { BillPayPipeline } from '../../../pipeline/bill-pay.pipeline';
import type { ReversalOutcome, ReversalService } from '../../../pipeline/reversal.service';
import { fingerprint } from '../../../domain/idempotency/fingerprint';
import {
  answerCancellation,
  answerPayments,
  buildRejection,
  idempotencyKey,
  isoStatusFor,
  toCancellationInstructions,
  toInstructions,
  toReturnInstructions,
  type BuiltAnswer,
  type CancellationInstruction,
  type Clock,
  type DocumentType,
  type Iso20022Engine,
  type IsoStatus,
  type ReceivedMessage,
  type ReceiveFailure,
  type ReturnInstruction,
  type TransactionInstruction,
  type TransactionOutcome,
} from '..';
import type { CancellationDecision } from '../builders/camt029';
import type { Camt056, Pacs004 } from '../readers/return-and-cancellation';
import type { CreditorDirectory } from './creditor-directory';
import { untilSettled } from '../../../pipeline/until-settled';

/** The endpoints of the lane, each accepting the message types listed. */
export const ISO20022_ENDPOINTS = {
  'pacs.008': ['pacs.008.001.08'],
  'pain.001': ['pain.001.001.09', 'pain.001.001.03'],
  'pacs.004': ['pacs.004.001.09'],
  'camt.056': ['camt.056.001.08'],
} as const satisfies Record<string, readonly DocumentType[]>;

export type Iso20022Endpoint = keyof typeof ISO20022_ENDPOINTS;

/** Idempotency scopes (per partner): payments, returns and cancellations each have their own. */
export const ISO20022_PAYMENT_SCOPE = 'iso20022:payment';
export const ISO20022_RETURN_SCOPE = 'iso20022:return';
export const ISO20022_CANCELLATION_SCOPE = 'iso20022:cancellation';

/** Who sent the message and on which lane (from the transport's authentication). */
export interface Iso20022Caller {
  readonly partner: Partner;
  readonly lane: LaneContext;
}

/** Input no ISO 20022 answer can be addressed to: the transport answers it as an error (HTTP 4xx). */
export interface Iso20022Refusal {
  readonly status: 400;
  readonly slug: string;
  readonly title: string;
  readonly detail: string;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
}

export type Iso20022Reply =
  | { readonly kind: 'answer'; readonly answer: BuiltAnswer }
  | { readonly kind: 'refusal'; readonly refusal: Iso20022Refusal };

export interface Iso20022TranslatorDeps {
  readonly engine: Iso20022Engine;
  readonly pipeline: BillPayPipeline;
  readonly reversals: ReversalService;
  readonly billTypes: BillTypeCatalog;
  readonly creditors: CreditorDirectory;
  readonly log: Logger;
  readonly clock?: Clock;
  /** How long a transaction waits for a duplicate of itself still in flight before answering ACSP. */
  readonly inFlightWaitMs?: number;
  /** Transactions of one message processed at the same time. */
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

const SYSTEM_CLOCK: Clock = { now: () => new Date() };
const narr = (status: IsoStatus['status'], additionalInfo: string): IsoStatus => ({
  status,
  reason: { code: 'NARR', additionalInfo },
});
const STILL_IN_FLIGHT = narr('ACSP', 'Still being processed: send the message again for the final status');

/**
 * Turns ISO 20022 messages into the internal commands and answers in kind: pacs.008 and pain.001 →
 * bill payments answered with pacs.002 / pain.002, pacs.004 → reversal answered with pacs.002,
 * camt.056 → reversal answered with camt.029. Knows nothing of HTTP: the lane gives it the body and
 * the authenticated partner and sends back what it returns.
 */
export class Iso20022Translator {
  private readonly clock: Clock;

  private readonly intake: IntakeStep;

  constructor(private readonly d: Iso20022TranslatorDeps) {
    this.clock = d.clock ?? SYSTEM_CLOCK;
    const clock = this.clock;
    this.intake = new IntakeStep({
      pipeline: d.pipeline,
      isKnownBillType: (code) => d.billTypes.has(code),
      now: () => clock.now(),
      inFlight: { wait: true, ...(d.inFlightWaitMs === undefined ? {} : { maxMs: d.inFlightWaitMs }) },
    });
  }

  async handle(endpoint: Iso20022Endpoint, body: Uint8Array, caller: Iso20022Caller): Promise<Iso20022Reply> {
    const received = this.d.engine.receive(body);
    if (!received.ok) return this.failed(endpoint, received.failure, caller, body);
    const m = received.message;
    if (!accepts(endpoint, m.messageType)) return wrongMessage(endpoint, m.messageType);
    const answerId = answerMsgId(caller, endpoint, body);
    let answer: BuiltAnswer;
    switch (m.document.type) {
      case 'pacs.008.001.08':
      case 'pain.001.001.09':
      case 'pain.001.001.03':
        answer = await this.payments(m, caller, answerId);
        break;
      case 'pacs.004.001.09':
        answer = await this.returns(m, m.document, caller, answerId);
        break;
      case 'camt.056.001.08':
        answer = await this.cancellations(m, m.document, caller, answerId);
        break;
      default:
        return wrongMessage(endpoint, m.messageType);
    }
    this.d.log.info(
      { partner: caller.partner.id, messageType: m.messageType, answer: answer.msgId },
      'iso20022 message answered',
    );
    return { kind: 'answer', answer };
  }

  // ---- pacs.008 / pain.001 ---------------------------------------------------------------------

  private async payments(m: ReceivedMessage, caller: Iso20022Caller, msgId: string): Promise<BuiltAnswer> {
    const batch = toInstructions(m, { billTypeByCreditor: await this.d.creditors.lookup() });
    if (batch === undefined) throw new Error(`${m.messageType} carries no payment instructions`);
    if (batch.groupProblems.length > 0) {
      // The whole message is rejected (NbOfTxs, CtrlSum, AppHdr...): nothing is posted.
      return answerPayments(m, [], { msgId, clock: this.clock });
    }
    const settled = await mapLimited(batch.instructions, this.d.concurrency ?? 4, (i) =>
      this.payOne(i, caller),
    );
    // CreDtTm of the answer: when the message's last payment was received, so that a duplicate
    // message is answered byte for byte as the first time (same MsgId, same time, same statuses).
    const times = settled.flatMap((s) => (s.at === undefined ? [] : [s.at.getTime()]));
    const clock: Clock = times.length === 0 ? this.clock : { now: () => new Date(Math.max(...times)) };
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
    const billType = ins.billType;
    if (billType === undefined) {
      const said = [
        ins.purposeCode === undefined ? 'no Purp/Cd' : `purpose ${ins.purposeCode}`,
        ins.creditorId === undefined ? 'no Cdtr/Id' : `creditor ${ins.creditorId}`,
      ];
      return { outcome: narr('RJCT', `Bill type unknown: ${said.join(', ')} names no biller`) };
    }
    type Settled = { outcome: TransactionOutcome | undefined; at?: Date };
    const refused = (outcome: TransactionOutcome): { refused: Settled } => ({ refused: { outcome } });
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
          const billReference = ins.billReference?.trim();
          if (billReference === undefined || billReference === '') {
            return refused(
              narr('RJCT', 'Bill reference missing: RmtInf/Strd/CdtrRefInf/Ref or RmtInf/Ustrd'),
            );
          }
          const account = ins.payerAccount?.trim();
          if (account === undefined || account === '') {
            return refused({
              status: 'RJCT',
              reason: { code: 'RR01', additionalInfo: 'DbtrAcct is required' },
            });
          }
          if (ins.amountMinor === undefined || ins.currency === undefined) return refused('FORMAT_ERROR');
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
            amountMinor: ins.amountMinor,
            currency: ins.currency,
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
              amountMinor: ins.amountMinor.toString(),
              currency: ins.currency,
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

  // ---- pacs.004 ------------------------------------------------------------------------------------

  private async returns(
    m: ReceivedMessage,
    doc: Pacs004,
    caller: Iso20022Caller,
    msgId: string,
  ): Promise<BuiltAnswer> {
    if (m.problems.group.length > 0) return answerPayments(m, [], { msgId, clock: this.clock });
    const returns = toReturnInstructions(doc, m);
    const outcomes = await mapLimited(returns, this.d.concurrency ?? 4, (r) => this.returnOne(r, caller));
    return answerPayments(m, outcomes, { msgId, clock: this.clock });
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
    if (outcome === 'failed') return 'SYSTEM_ERROR';
    switch (outcome.kind) {
      case 'conflict':
        return 'DUPLICATE_CONFLICT';
      case 'in-flight':
        return STILL_IN_FLIGHT;
      case 'processed':
      case 'replayed':
        switch (outcome.result.status) {
          case 'REVERSED':
            return { status: 'ACSC' };
          case 'ALREADY_REVERSED':
            // A second return moves nothing; ACSC would tell the sender it settled. Its own duplicate
            // (same RtrId) replays the first answer from the idempotency record, so stays ACSC.
            return {
              status: 'RJCT',
              reason: {
                code: 'FF12',
                additionalInfo: `Original payment already returned or cancelled: ${original.name}`,
              },
            };
          case 'NOTHING_TO_REVERSE':
            return narr('RJCT', `Original payment was declined, nothing to return: ${original.name}`);
          case 'ORIGINAL_NOT_FOUND':
          case 'AWAITING_ORIGINAL': // only advices are kept for a later original; a return is not one
            return narr('RJCT', `Original payment not found: ${original.name}`);
          case 'ORIGINAL_IN_FLIGHT':
            return STILL_IN_FLIGHT;
          case 'AMOUNT_MISMATCH':
            return {
              status: 'RJCT',
              reason: {
                code: 'AM09',
                additionalInfo: `Returned amount is not the original's: ${original.name}`,
              },
            };
        }
    }
  }

  // ---- camt.056 ------------------------------------------------------------------------------------

  private async cancellations(
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
    return answerCancellation(m, decisions, { msgId, clock: this.clock });
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
    if (outcome === 'failed') return { status: 'PDCR' };
    switch (outcome.kind) {
      case 'conflict':
        return rejected('AGNT', 'This cancellation id was already used for a different request');
      case 'in-flight':
        return { status: 'PDCR' };
      case 'processed':
      case 'replayed':
        switch (outcome.result.status) {
          case 'REVERSED':
            return { status: 'ACCR' };
          case 'ALREADY_REVERSED':
            return rejected('ARDT', `Already returned or cancelled: ${original.name}`);
          case 'NOTHING_TO_REVERSE':
            return rejected('NOOR', `Original payment was declined, nothing to cancel: ${original.name}`);
          case 'ORIGINAL_NOT_FOUND':
          case 'AWAITING_ORIGINAL':
            return rejected('NOOR', `Original payment not found: ${original.name}`);
          case 'ORIGINAL_IN_FLIGHT':
            return { status: 'PDCR' };
          case 'AMOUNT_MISMATCH':
            return rejected('AGNT', `Amount is not the original's: ${original.name}`);
        }
    }
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

  // ---- refusals --------------------------------------------------------------------------------------

  private failed(
    endpoint: Iso20022Endpoint,
    failure: ReceiveFailure,
    caller: Iso20022Caller,
    body: Uint8Array,
  ): Iso20022Reply {
    this.d.log.info(
      { partner: caller.partner.id, endpoint, failure: failure.kind },
      'iso20022 message refused',
    );
    switch (failure.kind) {
      case 'refused':
        return refusal('iso20022-refused', REFUSAL_TITLES[failure.reason], failure.message);
      case 'malformed':
        return refusal('iso20022-malformed', 'Not well-formed XML', firstLine(failure.errors), {
          errors: failure.errors.slice(0, 10).map(problemField),
        });
      case 'unsupported':
        return refusal('iso20022-unsupported', 'Message type not accepted', failure.message);
      case 'envelope':
        return refusal('iso20022-envelope', 'Wrong envelope around AppHdr and Document', failure.message);
      case 'schema-invalid': {
        if (!accepts(endpoint, failure.messageType)) return wrongMessage(endpoint, failure.messageType);
        // GrpSts RJCT FF01 naming the first error, when the MsgId could be read; nothing is posted.
        const answer = buildRejection(failure, {
          msgId: answerMsgId(caller, endpoint, body),
          clock: this.clock,
        });
        if (answer !== undefined) return { kind: 'answer', answer };
        return refusal(
          'iso20022-schema-invalid',
          `The message does not conform to the ${failure.messageType} schema`,
          firstLine(failure.errors),
          { errors: failure.errors.slice(0, 10).map(problemField) },
        );
      }
    }
  }
}

const REFUSAL_TITLES: Record<Extract<ReceiveFailure, { kind: 'refused' }>['reason'], string> = {
  empty: 'Empty body',
  'too-large': 'Request body too large',
  doctype: 'DOCTYPE and ENTITY declarations are not accepted',
  'not-utf8': 'Only UTF-8 encoded XML is accepted',
};

const NO_ORIGINAL_NAMED =
  'No original payment named: OrgnlUETR, or OrgnlMsgId with OrgnlEndToEndId, is required';

function accepts(endpoint: Iso20022Endpoint, type: DocumentType): boolean {
  return (ISO20022_ENDPOINTS[endpoint] as readonly DocumentType[]).includes(type);
}

function wrongMessage(endpoint: Iso20022Endpoint, type: string): Iso20022Reply {
  const expected = ISO20022_ENDPOINTS[endpoint].join(' or ');
  return refusal(
    'iso20022-wrong-message-type',
    'Message type does not match the endpoint',
    `POST /iso20022/${endpoint} accepts ${expected}, not ${type}`,
  );
}

function refusal(
  slug: string,
  title: string,
  detail: string,
  extra: Partial<Iso20022Refusal> = {},
): Iso20022Reply {
  return { kind: 'refusal', refusal: { status: 400, slug, title, detail, ...extra } };
}

function problemField(e: { message: string; line: number }): { field: string; message: string } {
  return { field: `line ${e.line}`, message: e.message };
}

function firstLine(errors: readonly { message: string; line: number }[]): string {
  const e = errors[0];
  return e === undefined ? 'no detail' : `line ${e.line}: ${e.message}`;
}

function rejected(
  code: NonNullable<CancellationDecision['reason']>['code'],
  additionalInfo: string,
): CancellationDecision {
  return { status: 'RJCR', reason: { code, additionalInfo } };
}

/**
 * The answer's MsgId, derived from who sent what: a byte-identical request gets the same MsgId (and,
 * for payments, the same CreDtTm), so a duplicate is answered byte for byte as the first time.
 */
function answerMsgId(caller: Iso20022Caller, endpoint: Iso20022Endpoint, body: Uint8Array): string {
  const h = createHash('sha256').update(`${caller.partner.id}\n${endpoint}\n`).update(body).digest('hex');
  return `BG${h.slice(0, 32)}`;
}

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

/** Runs `fn` over the items with at most `limit` at a time; results in the items' order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
