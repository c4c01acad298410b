import type { ReasonCode } from '../../domain/reason-codes';
import { answerXml, buildAnswerAppHdr } from './builders/app-hdr';
import { Iso20022BuildError, MAX105, truncate, type Clock } from './builders/common';
import { buildCamt029, camt029InputFor, type CancellationDecision } from './builders/camt029';
import { buildPacs002, buildPain002, type TransactionStatusInput } from './builders/status-report';
import type { BusinessProblem } from './business-checks';
import type { EnvelopeInfo, ReceivedMessage, ReceiveFailure } from './engine';
import type { DocumentType } from './message-types';
import type { AppHdr } from './readers/app-hdr';
import type { CreditTransfer } from './readers/credit-transfer';
import { isoStatusFor, isoStatusForProblems, type IsoStatus, type StatusReason } from './status';
import type { XElement } from './xml-writer';

export type AnswerType = 'pacs.002.001.10' | 'pain.002.001.10' | 'camt.029.001.09';

export interface BuiltAnswer {
  readonly messageType: AnswerType;
  readonly msgId: string;
  readonly xml: string;
}

/** What happened to one transaction: an internal ReasonCode, or an ISO status decided by the caller. */
export type TransactionOutcome = ReasonCode | IsoStatus;

export interface AnswerOptions {
  /** GrpHdr/MsgId of the answer (Max35Text; see newMessageId()). */
  readonly msgId: string;
  /** AppHdr/BizMsgIdr when the request had an AppHdr; defaults to msgId. */
  readonly bizMsgIdr?: string;
  readonly clock: Clock;
}

const ANSWER_TYPE: Partial<Record<DocumentType, 'pacs.002.001.10' | 'pain.002.001.10'>> = {
  'pacs.008.001.08': 'pacs.002.001.10',
  'pacs.004.001.09': 'pacs.002.001.10',
  'pain.001.001.09': 'pain.002.001.10',
  'pain.001.001.03': 'pain.002.001.10',
};

function resolveOutcome(
  outcome: TransactionOutcome | undefined,
  problems: readonly BusinessProblem[],
  index: number,
): IsoStatus {
  const rejected = isoStatusForProblems(problems);
  if (rejected !== undefined) return rejected;
  if (outcome === undefined) throw new Iso20022BuildError(`no outcome for transaction ${index}`);
  return typeof outcome === 'string' ? isoStatusFor(outcome) : outcome;
}

function withStatus(
  base: Omit<TransactionStatusInput, 'status' | 'reason'>,
  s: IsoStatus,
): TransactionStatusInput {
  return { ...base, status: s.status, ...(s.reason === undefined ? {} : { reason: s.reason }) };
}

function groupRejection(problems: readonly BusinessProblem[]): StatusReason | undefined {
  const first = problems[0];
  return first === undefined ? undefined : { code: first.reason, additionalInfo: first.message };
}

function wrap(
  type: AnswerType,
  document: XElement,
  opts: AnswerOptions,
  appHdr: AppHdr | undefined,
  envelope: EnvelopeInfo | undefined,
): BuiltAnswer {
  const header =
    appHdr === undefined
      ? undefined
      : buildAnswerAppHdr(appHdr, { bizMsgIdr: opts.bizMsgIdr ?? opts.msgId, msgDefIdr: type }, opts.clock);
  return { messageType: type, msgId: opts.msgId, xml: answerXml(document, header, envelope) };
}

function txIds(tx: CreditTransfer): Omit<TransactionStatusInput, 'status' | 'reason'> {
  const { instrId, endToEndId, txId, uetr } = tx.pmtId;
  return {
    ...(instrId === undefined ? {} : { originalInstrId: instrId }),
    originalEndToEndId: endToEndId,
    ...(txId === undefined ? {} : { originalTxId: txId }),
    ...(uetr === undefined ? {} : { originalUetr: uetr }),
  };
}

/**
 * The status report answering a received pacs.008, pacs.004 or pain.001: pacs.002.001.10 or
 * pain.002.001.10, with an AppHdr (Fr/To swapped) inside the request's wrapper when the request had one.
 *
 * `outcomes[i]` is the result of transaction i (message order, as in toInstructions()). A transaction
 * with business problems is answered RJCT with its first problem whatever its outcome (it may be
 * undefined). When the message has group-level problems the whole message is rejected (GrpSts RJCT
 * with the first problem's reason) and `outcomes` is ignored.
 */
export function answerPayments(
  received: ReceivedMessage,
  outcomes: readonly (TransactionOutcome | undefined)[],
  opts: AnswerOptions,
): BuiltAnswer {
  const doc = received.document;
  const type = ANSWER_TYPE[received.messageType];
  if (type === undefined) {
    throw new Iso20022BuildError(`${received.messageType} is not answered with a status report`);
  }
  const groupReason = groupRejection(received.problems.group);
  const rejectAll = groupReason !== undefined;
  const count = received.problems.transactions.length;
  if (!rejectAll && outcomes.length !== count) {
    throw new Iso20022BuildError(`${outcomes.length} outcomes for ${count} transactions`);
  }
  const txProblems = (i: number): readonly BusinessProblem[] => received.problems.transactions[i] ?? [];

  if (doc.type === 'pain.001.001.09' || doc.type === 'pain.001.001.03') {
    const gh = doc.groupHeader;
    const document = buildPain002(
      {
        msgId: opts.msgId,
        original: { msgId: gh.msgId, msgNmId: doc.type, creDtTm: gh.creDtTm },
        ...(groupReason === undefined ? {} : { groupStatus: 'RJCT', groupReason }),
        paymentInformation: rejectAll
          ? []
          : doc.paymentInformation.map((pi) => ({
              originalPmtInfId: pi.pmtInfId,
              transactions: pi.transactions.map((tx) =>
                withStatus(txIds(tx), resolveOutcome(outcomes[tx.index], txProblems(tx.index), tx.index)),
              ),
            })),
      },
      opts.clock,
    );
    return wrap(type, document, opts, received.appHdr, received.envelope);
  }

  let msgId: string;
  let creDtTm: string;
  let transactions: TransactionStatusInput[];
  if (doc.type === 'pacs.008.001.08') {
    msgId = doc.groupHeader.msgId;
    creDtTm = doc.groupHeader.creDtTm;
    transactions = rejectAll
      ? []
      : doc.transactions.map((tx) =>
          withStatus(txIds(tx), resolveOutcome(outcomes[tx.index], txProblems(tx.index), tx.index)),
        );
  } else if (doc.type === 'pacs.004.001.09') {
    msgId = doc.groupHeader.msgId;
    creDtTm = doc.groupHeader.creDtTm;
    // The return's own identification (RtrId) is reported as the instruction id it was sent as.
    transactions = rejectAll
      ? []
      : doc.returns.map((r) =>
          withStatus(
            {
              ...(r.rtrId === undefined ? {} : { originalInstrId: r.rtrId }),
              ...(r.orgnlEndToEndId === undefined ? {} : { originalEndToEndId: r.orgnlEndToEndId }),
              ...(r.orgnlTxId === undefined ? {} : { originalTxId: r.orgnlTxId }),
              ...(r.orgnlUetr === undefined ? {} : { originalUetr: r.orgnlUetr }),
            },
            resolveOutcome(outcomes[r.index], txProblems(r.index), r.index),
          ),
        );
  } else {
    throw new Iso20022BuildError(`${doc.type} is not answered with a pacs.002`);
  }
  const document = buildPacs002(
    {
      msgId: opts.msgId,
      original: { msgId, msgNmId: received.messageType, creDtTm },
      ...(groupReason === undefined ? {} : { groupStatus: 'RJCT', groupReason }),
      transactions,
    },
    opts.clock,
  );
  return wrap(type, document, opts, received.appHdr, received.envelope);
}

/** The camt.029.001.09 answering a received camt.056 (not schema-validated here: no XSD carried). */
export function answerCancellation(
  received: ReceivedMessage,
  decisions: readonly CancellationDecision[],
  opts: AnswerOptions,
): BuiltAnswer {
  const doc = received.document;
  if (doc.type !== 'camt.056.001.08') {
    throw new Iso20022BuildError(`${doc.type} is not answered with a camt.029`);
  }
  const document = buildCamt029(camt029InputFor(doc, decisions, opts.msgId), opts.clock);
  return wrap('camt.029.001.09', document, opts, received.appHdr, received.envelope);
}

/** AddtlInf for a schema failure: where and what, within Max105Text. */
export function describeFirstError(errors: readonly { message: string; line: number }[]): string {
  const first = errors[0];
  if (first === undefined) return 'Message does not conform to its schema';
  return truncate(first.line > 0 ? `Line ${first.line}: ${first.message}` : first.message, MAX105);
}

/**
 * The rejection of a message that failed its XSD (or did not parse): GrpSts RJCT, reason FF01, AddtlInf
 * naming the first error. Undefined when no rejection can be addressed (message type without a status
 * report, or MsgId unreadable / not a valid Max35Text): the caller answers HTTP 400 then.
 */
export function buildRejection(failure: ReceiveFailure, opts: AnswerOptions): BuiltAnswer | undefined {
  let definition: string | undefined;
  let originalMsgId: string | undefined;
  let appHdr: AppHdr | undefined;
  let envelope: EnvelopeInfo | undefined;
  if (failure.kind === 'schema-invalid') {
    definition = failure.messageType;
    originalMsgId = failure.msgId;
    appHdr = failure.appHdr;
    envelope = failure.envelope;
  } else if (failure.kind === 'malformed') {
    definition = failure.messageDefinition;
    originalMsgId = failure.msgId;
  } else {
    return undefined;
  }
  const type = definition === undefined ? undefined : ANSWER_TYPE[definition as DocumentType];
  if (type === undefined || originalMsgId === undefined || definition === undefined) return undefined;
  const groupReason: StatusReason = { code: 'FF01', additionalInfo: describeFirstError(failure.errors) };
  const original = { msgId: originalMsgId, msgNmId: definition };
  const document =
    type === 'pacs.002.001.10'
      ? buildPacs002(
          { msgId: opts.msgId, original, groupStatus: 'RJCT', groupReason, transactions: [] },
          opts.clock,
        )
      : buildPain002(
          { msgId: opts.msgId, original, groupStatus: 'RJCT', groupReason, paymentInformation: [] },
          opts.clock,
        );
  return wrap(type, document, opts, appHdr, envelope);
}
