import { defaultCodeSets, type CodeSets } from '../code-sets';
import { namespaceOf } from '../message-types';
import { groupStatusOf, type GroupStatus, type StatusReason, type TxStatus } from '../status';
import { el, optEl, type XElement } from '../xml-writer';
import {
  groupHeaderEl,
  optMax35,
  originalGroupEls,
  requireCode,
  requireMax35,
  statusReasonEl,
  type Clock,
  type OriginalGroupInput,
} from './common';

export interface TransactionStatusInput {
  readonly originalInstrId?: string;
  readonly originalEndToEndId?: string;
  /** pacs.002 only: pain.002.001.10 has no OrgnlTxId, so it is not written there. */
  readonly originalTxId?: string;
  readonly originalUetr?: string;
  readonly status: TxStatus;
  readonly reason?: StatusReason;
}

export interface Pacs002Input {
  readonly msgId: string;
  readonly original: OriginalGroupInput;
  /** Derived from the transactions when absent (see groupStatusOf). */
  readonly groupStatus?: GroupStatus;
  /** Reason for the group status, typically for a whole-message RJCT. */
  readonly groupReason?: StatusReason;
  readonly transactions: readonly TransactionStatusInput[];
}

export interface PaymentInformationStatusInput {
  readonly originalPmtInfId: string;
  readonly originalNbOfTxs?: string;
  readonly originalCtrlSum?: string;
  /** Derived from its transactions when absent. */
  readonly status?: GroupStatus;
  readonly reason?: StatusReason;
  readonly transactions: readonly TransactionStatusInput[];
}

export interface Pain002Input {
  readonly msgId: string;
  readonly original: OriginalGroupInput;
  readonly groupStatus?: GroupStatus;
  readonly groupReason?: StatusReason;
  readonly paymentInformation: readonly PaymentInformationStatusInput[];
}

function statusCode(sets: CodeSets, status: string, group: boolean): string {
  return group
    ? requireCode(sets.groupStatus, status, 'ExternalPaymentGroupStatus1Code')
    : requireCode(sets.transactionStatus, status, 'ExternalPaymentTransactionStatus1Code');
}

function txInfAndSts(tx: TransactionStatusInput, withTxId: boolean, sets: CodeSets): XElement {
  return el('TxInfAndSts', [
    optEl('OrgnlInstrId', optMax35('OrgnlInstrId', tx.originalInstrId)),
    optEl('OrgnlEndToEndId', optMax35('OrgnlEndToEndId', tx.originalEndToEndId)),
    withTxId ? optEl('OrgnlTxId', optMax35('OrgnlTxId', tx.originalTxId)) : undefined,
    optEl('OrgnlUETR', tx.originalUetr),
    el('TxSts', statusCode(sets, tx.status, false)),
    statusReasonEl(tx.reason, sets),
  ]);
}

function originalGroupAndStatusEl(
  input: Pick<Pacs002Input, 'original' | 'groupReason'>,
  groupStatus: GroupStatus,
  sets: CodeSets,
): XElement {
  return el('OrgnlGrpInfAndSts', [
    ...originalGroupEls(input.original),
    el('GrpSts', statusCode(sets, groupStatus, true)),
    statusReasonEl(input.groupReason, sets),
  ]);
}

/** FIToFIPmtStsRpt answering a pacs.008 or pacs.004: the Document element, in schema order. */
export function buildPacs002(
  input: Pacs002Input,
  clock: Clock,
  sets: CodeSets = defaultCodeSets(),
): XElement {
  const groupStatus = input.groupStatus ?? groupStatusOf(input.transactions.map((t) => t.status));
  return el(
    'Document',
    [
      el('FIToFIPmtStsRpt', [
        groupHeaderEl(input.msgId, clock),
        originalGroupAndStatusEl(input, groupStatus, sets),
        ...input.transactions.map((t) => txInfAndSts(t, true, sets)),
      ]),
    ],
    { xmlns: namespaceOf('pacs.002.001.10') },
  );
}

/** CstmrPmtStsRpt answering a pain.001: per PmtInf an OrgnlPmtInfAndSts holding its transactions. */
export function buildPain002(
  input: Pain002Input,
  clock: Clock,
  sets: CodeSets = defaultCodeSets(),
): XElement {
  const groupStatus =
    input.groupStatus ??
    groupStatusOf(input.paymentInformation.flatMap((p) => p.transactions.map((t) => t.status)));
  return el(
    'Document',
    [
      el('CstmrPmtStsRpt', [
        groupHeaderEl(input.msgId, clock),
        originalGroupAndStatusEl(input, groupStatus, sets),
        ...input.paymentInformation.map((p) =>
          el('OrgnlPmtInfAndSts', [
            el('OrgnlPmtInfId', requireMax35('OrgnlPmtInfId', p.originalPmtInfId)),
            optEl('OrgnlNbOfTxs', p.originalNbOfTxs),
            optEl('OrgnlCtrlSum', p.originalCtrlSum),
            el(
              'PmtInfSts',
              statusCode(sets, p.status ?? groupStatusOf(p.transactions.map((t) => t.status)), true),
            ),
            statusReasonEl(p.reason, sets),
            ...p.transactions.map((t) => txInfAndSts(t, false, sets)),
          ]),
        ),
      ]),
    ],
    { xmlns: namespaceOf('pain.002.001.10') },
  );
}
