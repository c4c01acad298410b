import { at, child, childrenNamed, textAt, type XmlNode } from '../xml-tree';
import {
  opt,
  readAccount,
  readAmount,
  readParty,
  readGroupHeaderCounts,
  readPurpose,
  readRemittance,
  type Account,
  type Amount,
  type Party,
  type Purpose,
  type Remittance,
} from './common';

export interface PaymentIds {
  readonly instrId?: string;
  readonly endToEndId: string;
  readonly txId?: string;
  readonly uetr?: string;
}

/** One credit transfer, from a pacs.008 CdtTrfTxInf or a pain.001 PmtInf/CdtTrfTxInf. */
export interface CreditTransfer {
  /** Position among all transactions of the message, from 0. */
  readonly index: number;
  readonly line: number;
  readonly pmtId: PaymentIds;
  /** pacs.008 IntrBkSttlmAmt; pain.001 Amt/InstdAmt (absent when only EqvtAmt was sent). */
  readonly amount?: Amount;
  /** pacs.008 only: the InstdAmt the debtor ordered, when it differs from the settlement amount. */
  readonly instructedAmount?: Amount;
  readonly debtor?: Party;
  readonly debtorAccount?: Account;
  readonly creditor?: Party;
  readonly creditorAccount?: Account;
  readonly purpose?: Purpose;
  readonly remittance?: Remittance;
}

export interface Pacs008 {
  readonly type: 'pacs.008.001.08';
  readonly groupHeader: {
    readonly msgId: string;
    readonly creDtTm: string;
    readonly nbOfTxs: string;
    readonly nbOfTxsLine: number;
    readonly ctrlSum?: string;
    readonly totalInterbankSettlementAmount?: Amount;
    readonly interbankSettlementDate?: string;
    readonly settlement: { readonly method: string; readonly clearingSystemCode?: string };
  };
  readonly transactions: readonly CreditTransfer[];
}

export interface PaymentInformation {
  readonly pmtInfId: string;
  readonly line: number;
  readonly nbOfTxs?: string;
  readonly ctrlSum?: string;
  /** ISODate (v03) or Dt / DtTm (v09), as sent. */
  readonly requestedExecutionDate?: string;
  readonly debtor?: Party;
  readonly debtorAccount?: Account;
  readonly transactions: readonly CreditTransfer[];
}

export interface Pain001 {
  readonly type: 'pain.001.001.09' | 'pain.001.001.03';
  readonly groupHeader: {
    readonly msgId: string;
    readonly creDtTm: string;
    readonly nbOfTxs: string;
    readonly nbOfTxsLine: number;
    readonly ctrlSum?: string;
    readonly initiatingPartyName?: string;
  };
  readonly paymentInformation: readonly PaymentInformation[];
}

function readPmtId(node: XmlNode | undefined): PaymentIds {
  return {
    ...opt('instrId', textAt(node, 'InstrId')),
    endToEndId: textAt(node, 'EndToEndId') ?? '',
    ...opt('txId', textAt(node, 'TxId')),
    ...opt('uetr', textAt(node, 'UETR')),
  };
}

function readTransfer(
  tx: XmlNode,
  index: number,
  amount: Amount | undefined,
  inherited: { debtor?: Party; debtorAccount?: Account },
): CreditTransfer {
  const debtor = readParty(child(tx, 'Dbtr')) ?? inherited.debtor;
  const debtorAccount = readAccount(child(tx, 'DbtrAcct')) ?? inherited.debtorAccount;
  return {
    index,
    line: tx.line,
    pmtId: readPmtId(child(tx, 'PmtId')),
    ...opt('amount', amount),
    ...opt('debtor', debtor),
    ...opt('debtorAccount', debtorAccount),
    ...opt('creditor', readParty(child(tx, 'Cdtr'))),
    ...opt('creditorAccount', readAccount(child(tx, 'CdtrAcct'))),
    ...opt('purpose', readPurpose(child(tx, 'Purp'))),
    ...opt('remittance', readRemittance(child(tx, 'RmtInf'))),
  };
}

/** Reads a schema-valid pacs.008.001.08 Document. */
export function readPacs008(doc: XmlNode): Pacs008 {
  const root = child(doc, 'FIToFICstmrCdtTrf');
  const gh = child(root, 'GrpHdr');
  return {
    type: 'pacs.008.001.08',
    groupHeader: {
      ...readGroupHeaderCounts(gh),
      ...opt('totalInterbankSettlementAmount', readAmount(child(gh, 'TtlIntrBkSttlmAmt'))),
      ...opt('interbankSettlementDate', textAt(gh, 'IntrBkSttlmDt')),
      settlement: {
        method: textAt(gh, 'SttlmInf', 'SttlmMtd') ?? '',
        ...opt('clearingSystemCode', textAt(gh, 'SttlmInf', 'ClrSys', 'Cd')),
      },
    },
    transactions: childrenNamed(root, 'CdtTrfTxInf').map((tx, i) => ({
      ...readTransfer(tx, i, readAmount(child(tx, 'IntrBkSttlmAmt')), {}),
      ...opt('instructedAmount', readAmount(child(tx, 'InstdAmt'))),
    })),
  };
}

/** Reads a schema-valid pain.001.001.09 or pain.001.001.03 Document (same paths for what we use). */
export function readPain001(doc: XmlNode, type: Pain001['type']): Pain001 {
  const root = child(doc, 'CstmrCdtTrfInitn');
  const gh = child(root, 'GrpHdr');
  let index = 0;
  return {
    type,
    groupHeader: {
      ...readGroupHeaderCounts(gh),
      ...opt('initiatingPartyName', textAt(gh, 'InitgPty', 'Nm')),
    },
    paymentInformation: childrenNamed(root, 'PmtInf').map((pi) => {
      const debtor = readParty(child(pi, 'Dbtr'));
      const debtorAccount = readAccount(child(pi, 'DbtrAcct'));
      const exec = child(pi, 'ReqdExctnDt');
      return {
        pmtInfId: textAt(pi, 'PmtInfId') ?? '',
        line: pi.line,
        ...opt('nbOfTxs', textAt(pi, 'NbOfTxs')),
        ...opt('ctrlSum', textAt(pi, 'CtrlSum')),
        ...opt(
          'requestedExecutionDate',
          exec === undefined ? undefined : (exec.children[0]?.text ?? exec.text),
        ),
        ...opt('debtor', debtor),
        ...opt('debtorAccount', debtorAccount),
        transactions: childrenNamed(pi, 'CdtTrfTxInf').map((tx) =>
          readTransfer(tx, index++, readAmount(at(tx, 'Amt', 'InstdAmt')), {
            ...opt('debtor', debtor),
            ...opt('debtorAccount', debtorAccount),
          }),
        ),
      };
    }),
  };
}
