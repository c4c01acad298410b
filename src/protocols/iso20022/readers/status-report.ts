import { child, childrenNamed, textAt, type XmlNode } from '../xml-tree';
import { opt, readOriginalIds, readReasons, type Reason } from './common';

export interface TransactionStatusReport {
  readonly pmtInfId?: string;
  readonly orgnlInstrId?: string;
  readonly orgnlEndToEndId?: string;
  readonly orgnlTxId?: string;
  readonly orgnlUetr?: string;
  readonly status?: string;
  readonly reasons: readonly Reason[];
}

/** pacs.002 / pain.002 as received (interop, and to read back what the builders emit). */
export interface StatusReport {
  readonly type: 'pacs.002.001.10' | 'pain.002.001.10' | 'pain.002.001.03';
  readonly msgId: string;
  readonly creDtTm: string;
  readonly originalMsgId?: string;
  readonly originalMsgNmId?: string;
  readonly groupStatus?: string;
  readonly groupReasons: readonly Reason[];
  readonly paymentInformation: readonly { readonly pmtInfId: string; readonly status?: string }[];
  readonly transactions: readonly TransactionStatusReport[];
}

function readTx(tx: XmlNode, pmtInfId: string | undefined): TransactionStatusReport {
  return {
    ...opt('pmtInfId', pmtInfId),
    ...readOriginalIds(tx),
    ...opt('status', textAt(tx, 'TxSts')),
    reasons: readReasons(childrenNamed(tx, 'StsRsnInf')),
  };
}

export function readStatusReport(doc: XmlNode, type: StatusReport['type']): StatusReport {
  const root = child(doc, type.startsWith('pacs') ? 'FIToFIPmtStsRpt' : 'CstmrPmtStsRpt');
  const gh = child(root, 'GrpHdr');
  const og = child(root, 'OrgnlGrpInfAndSts');
  const pmtInfs = childrenNamed(root, 'OrgnlPmtInfAndSts');
  return {
    type,
    msgId: textAt(gh, 'MsgId') ?? '',
    creDtTm: textAt(gh, 'CreDtTm') ?? '',
    ...opt('originalMsgId', textAt(og, 'OrgnlMsgId')),
    ...opt('originalMsgNmId', textAt(og, 'OrgnlMsgNmId')),
    ...opt('groupStatus', textAt(og, 'GrpSts')),
    groupReasons: readReasons(childrenNamed(og, 'StsRsnInf')),
    paymentInformation: pmtInfs.map((p) => ({
      pmtInfId: textAt(p, 'OrgnlPmtInfId') ?? '',
      ...opt('status', textAt(p, 'PmtInfSts')),
    })),
    transactions: [
      ...childrenNamed(root, 'TxInfAndSts').map((tx) => readTx(tx, undefined)),
      ...pmtInfs.flatMap((p) =>
        childrenNamed(p, 'TxInfAndSts').map((tx) => readTx(tx, textAt(p, 'OrgnlPmtInfId'))),
      ),
    ],
  };
}
