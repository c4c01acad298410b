import { checkAmount, idempotencyKeyOf, type BusinessProblem } from './business-checks';
import type { ReceivedMessage } from './engine';
import type { PaymentRequestType } from './message-types';
import { accountIdentifier, opt, partyIdentifier } from './readers/common';
import type { CreditTransfer, Pacs008, Pain001 } from './readers/credit-transfer';
import type { Camt056, OriginalGroup, Pacs004 } from './readers/return-and-cancellation';

/** ISO 20022 ExternalPurpose1Code -> the project's bill type. */
export const BILL_TYPE_BY_PURPOSE: Readonly<Record<string, string>> = {
  ELEC: 'ELECTRICITY',
  WTER: 'WATER',
  GASB: 'GAS',
  PHON: 'PHONE',
  CBTV: 'CABLE_TV',
};

/** Bill type registered for a creditor (biller) identification, when the purpose code does not say. */
export type CreditorBillTypeLookup = (creditorId: string) => string | undefined;

export interface InstructionLookups {
  readonly billTypeByCreditor?: CreditorBillTypeLookup;
}

/**
 * One payment instruction in protocol-neutral terms. Identifiers are the exact strings sent.
 * A transaction with `problems` must not be processed: answer it RJCT (isoStatusForProblems).
 */
export interface TransactionInstruction {
  readonly messageType: PaymentRequestType;
  /** Position in the message, across PmtInf blocks; answers are matched back by it. */
  readonly index: number;
  readonly msgId: string;
  readonly pmtInfId?: string;
  readonly endToEndId: string;
  readonly uetr?: string;
  readonly instrId?: string;
  readonly txId?: string;
  /** The partner's own reference for this payment: EndToEndId, passed through unchanged. */
  readonly partnerReference: string;
  readonly idempotencyKey: string;
  readonly billType?: string;
  readonly billReference?: string;
  /** The amount as sent ("2450.10"). */
  readonly amountText?: string;
  /** Absent only when `problems` says why (missing amount, too many decimals, unknown currency...). */
  readonly amountMinor?: bigint;
  readonly currency?: string;
  readonly payerAccount?: string;
  readonly creditorId?: string;
  readonly creditorAccount?: string;
  readonly purposeCode?: string;
  readonly problems: readonly BusinessProblem[];
}

export interface InstructionBatch {
  readonly messageType: PaymentRequestType;
  readonly msgId: string;
  /** Problems with the whole message (NbOfTxs, CtrlSum, AppHdr...): reject all of it. */
  readonly groupProblems: readonly BusinessProblem[];
  readonly instructions: readonly TransactionInstruction[];
}

/** MsgId + EndToEndId, or the UETR when one was sent. */
export function idempotencyKey(i: Pick<TransactionInstruction, 'msgId' | 'endToEndId' | 'uetr'>): string {
  return idempotencyKeyOf(i.msgId, i.endToEndId, i.uetr);
}

export function billTypeOf(
  purposeCode: string | undefined,
  creditorId: string | undefined,
  lookups: InstructionLookups = {},
): string | undefined {
  const byPurpose = purposeCode === undefined ? undefined : BILL_TYPE_BY_PURPOSE[purposeCode];
  if (byPurpose !== undefined) return byPurpose;
  return creditorId === undefined ? undefined : lookups.billTypeByCreditor?.(creditorId);
}

/** Structured creditor reference (Strd/CdtrRefInf/Ref) first, else the first unstructured line. */
export function billReferenceOf(tx: CreditTransfer): string | undefined {
  const structured = tx.remittance?.creditorReferences.find((r) => r.ref !== undefined)?.ref;
  return structured ?? tx.remittance?.unstructured[0];
}

/** The business problems found on transaction `index` of a received message. */
function problemsOf(received: ReceivedMessage, index: number): readonly BusinessProblem[] {
  return received.problems.transactions[index] ?? [];
}

function toInstruction(
  messageType: PaymentRequestType,
  msgId: string,
  tx: CreditTransfer,
  received: ReceivedMessage,
  lookups: InstructionLookups,
  pmtInfId?: string,
): TransactionInstruction {
  const creditorId = partyIdentifier(tx.creditor);
  const purposeCode = tx.purpose?.code;
  const billType = billTypeOf(purposeCode, creditorId, lookups);
  const billReference = billReferenceOf(tx);
  const payerAccount = accountIdentifier(tx.debtorAccount);
  const creditorAccount = accountIdentifier(tx.creditorAccount);
  const { minor } = checkAmount(tx.amount, 'Amount');
  const { instrId, endToEndId, txId, uetr } = tx.pmtId;
  return {
    messageType,
    index: tx.index,
    msgId,
    ...opt('pmtInfId', pmtInfId),
    endToEndId,
    ...opt('uetr', uetr),
    ...opt('instrId', instrId),
    ...opt('txId', txId),
    partnerReference: endToEndId,
    idempotencyKey: idempotencyKeyOf(msgId, endToEndId, uetr),
    ...opt('billType', billType),
    ...opt('billReference', billReference),
    ...opt('amountText', tx.amount?.value),
    ...opt('amountMinor', minor),
    ...opt('currency', tx.amount?.currency),
    ...opt('payerAccount', payerAccount),
    ...opt('creditorId', creditorId),
    ...opt('creditorAccount', creditorAccount),
    ...opt('purposeCode', purposeCode),
    problems: problemsOf(received, tx.index),
  };
}

function pacs008Instructions(
  doc: Pacs008,
  received: ReceivedMessage,
  lookups: InstructionLookups,
): InstructionBatch {
  const msgId = doc.groupHeader.msgId;
  return {
    messageType: doc.type,
    msgId,
    groupProblems: received.problems.group,
    instructions: doc.transactions.map((tx) => toInstruction(doc.type, msgId, tx, received, lookups)),
  };
}

function pain001Instructions(
  doc: Pain001,
  received: ReceivedMessage,
  lookups: InstructionLookups,
): InstructionBatch {
  const msgId = doc.groupHeader.msgId;
  return {
    messageType: doc.type,
    msgId,
    groupProblems: received.problems.group,
    instructions: doc.paymentInformation.flatMap((pi) =>
      pi.transactions.map((tx) => toInstruction(doc.type, msgId, tx, received, lookups, pi.pmtInfId)),
    ),
  };
}

/** What a return or cancellation says about the payment it refers to. */
function originalReferences(x: {
  readonly originalGroup?: OriginalGroup;
  readonly orgnlEndToEndId?: string;
  readonly orgnlUetr?: string;
}): Pick<ReturnInstruction, 'originalMsgId' | 'originalEndToEndId' | 'originalUetr'> {
  return {
    ...opt('originalMsgId', x.originalGroup?.msgId),
    ...opt('originalEndToEndId', x.orgnlEndToEndId),
    ...opt('originalUetr', x.orgnlUetr),
  };
}

/** The payment instructions of a received pacs.008 or pain.001; undefined for other message types. */
export function toInstructions(
  received: ReceivedMessage,
  lookups: InstructionLookups = {},
): InstructionBatch | undefined {
  const doc = received.document;
  switch (doc.type) {
    case 'pacs.008.001.08':
      return pacs008Instructions(doc, received, lookups);
    case 'pain.001.001.09':
    case 'pain.001.001.03':
      return pain001Instructions(doc, received, lookups);
    default:
      return undefined;
  }
}

/** A pacs.004 return, protocol-neutral: what to reverse and why. */
export interface ReturnInstruction {
  readonly index: number;
  readonly msgId: string;
  readonly rtrId?: string;
  readonly originalMsgId?: string;
  readonly originalEndToEndId?: string;
  readonly originalUetr?: string;
  readonly amountText?: string;
  readonly amountMinor?: bigint;
  readonly currency?: string;
  readonly reasonCode?: string;
  readonly problems: readonly BusinessProblem[];
}

export function toReturnInstructions(doc: Pacs004, received: ReceivedMessage): ReturnInstruction[] {
  return doc.returns.map((r) => {
    const { minor } = checkAmount(r.returnedAmount, 'RtrdIntrBkSttlmAmt');
    const reasonCode = r.reasons[0]?.code;
    return {
      index: r.index,
      msgId: doc.groupHeader.msgId,
      ...(r.rtrId === undefined ? {} : { rtrId: r.rtrId }),
      ...originalReferences(r),
      ...(r.returnedAmount === undefined
        ? {}
        : { amountText: r.returnedAmount.value, currency: r.returnedAmount.currency }),
      ...(minor === undefined ? {} : { amountMinor: minor }),
      ...(reasonCode === undefined ? {} : { reasonCode }),
      problems: problemsOf(received, r.index),
    };
  });
}

/** A camt.056 cancellation request, protocol-neutral. */
export interface CancellationInstruction {
  readonly index: number;
  readonly assignmentId: string;
  readonly caseId?: string;
  readonly cxlId?: string;
  readonly originalMsgId?: string;
  readonly originalEndToEndId?: string;
  readonly originalUetr?: string;
  readonly reasonCode?: string;
  readonly problems: readonly BusinessProblem[];
}

export function toCancellationInstructions(
  doc: Camt056,
  received: ReceivedMessage,
): CancellationInstruction[] {
  return doc.cancellations.map((c) => {
    const reasonCode = c.reasons[0]?.code;
    return {
      index: c.index,
      assignmentId: doc.assignment.id,
      ...(c.caseId === undefined ? {} : { caseId: c.caseId }),
      ...(c.cxlId === undefined ? {} : { cxlId: c.cxlId }),
      ...originalReferences(c),
      ...(reasonCode === undefined ? {} : { reasonCode }),
      problems: problemsOf(received, c.index),
    };
  });
}
