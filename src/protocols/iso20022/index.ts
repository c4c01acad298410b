/**
 * ISO 20022 for the bill-payment lane: receive (screen, parse, validate, read, check), map to
 * protocol-neutral instructions, and build the answers (pacs.002, pain.002, camt.029, AppHdr).
 */
export { Iso20022Engine } from './engine';
export type {
  EnvelopeInfo,
  Iso20022Options,
  ReceivedMessage,
  ReceiveFailure,
  ReceiveResult,
  TypedDocument,
  XmlProblem,
} from './engine';
export { DEFAULT_MAX_BYTES } from './hostile-guard';
export { resolveSchemaDir } from './schema-dir';
export type { CodeSets } from './code-sets';
export type { RefusalReason } from './hostile-guard';
export { DOCUMENT_TYPES, APP_HDR_TYPE } from './message-types';
export type { DocumentType, PaymentRequestType } from './message-types';
export type { BusinessProblem, CheckResult, ProblemCode } from './business-checks';
export {
  BILL_TYPE_BY_PURPOSE,
  billTypeOf,
  idempotencyKey,
  toCancellationInstructions,
  toInstructions,
  toReturnInstructions,
} from './instructions';
export type {
  CancellationInstruction,
  CreditorBillTypeLookup,
  InstructionBatch,
  InstructionLookups,
  ReturnInstruction,
  TransactionInstruction,
} from './instructions';
export { ISO_STATUS_BY_REASON, groupStatusOf, isoStatusFor, isoStatusForProblems } from './status';
export type { GroupStatus, IsoStatus, StatusReason, TxStatus } from './status';
export { answerCancellation, answerPayments, buildRejection, describeFirstError } from './answers';
export type { AnswerOptions, AnswerType, BuiltAnswer, TransactionOutcome } from './answers';
export { Iso20022BuildError, newMessageId } from './builders/common';
export type { Clock } from './builders/common';
export { buildPacs002, buildPain002 } from './builders/status-report';
export type {
  Pacs002Input,
  Pain002Input,
  PaymentInformationStatusInput,
  TransactionStatusInput,
} from './builders/status-report';
export { buildCamt029, camt029InputFor, confirmationOf } from './builders/camt029';
export type {
  CancellationDecision,
  CancellationRejectionReason,
  CancellationStatus,
  Camt029Input,
  InvestigationConfirmation,
} from './builders/camt029';
export { answerXml, buildAnswerAppHdr, buildAppHdr, partyByBic } from './builders/app-hdr';
export type { AppHdrInput, AppHdrParty } from './builders/app-hdr';
export { serialize } from './xml-writer';
export type { XElement } from './xml-writer';
export { extractIdsTolerant } from './tolerant';
export type { AppHdr } from './readers/app-hdr';
export type { Amount, Account, Party, Purpose, Reason, Remittance } from './readers/common';
export type { CreditTransfer, Pacs008, Pain001, PaymentInformation } from './readers/credit-transfer';
export type { CancellationRequest, Camt056, Pacs004, PaymentReturn } from './readers/return-and-cancellation';
export type { StatusReport } from './readers/status-report';
