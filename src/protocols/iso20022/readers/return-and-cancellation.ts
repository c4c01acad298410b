import { child, childrenNamed, textAt, type XmlNode } from '../xml-tree';
import {
  opt,
  readAmount,
  readGroupHeaderCounts,
  readOriginalIds,
  readReasons,
  type Amount,
  type Reason,
} from './common';

export interface OriginalGroup {
  readonly msgId: string;
  readonly msgNmId: string;
  readonly creDtTm?: string;
}

export interface PaymentReturn {
  readonly index: number;
  readonly line: number;
  readonly rtrId?: string;
  /** TxInf/OrgnlGrpInf, else the message-level OrgnlGrpInf. */
  readonly originalGroup?: OriginalGroup;
  readonly orgnlInstrId?: string;
  readonly orgnlEndToEndId?: string;
  readonly orgnlTxId?: string;
  readonly orgnlUetr?: string;
  readonly returnedAmount?: Amount;
  /** TxInf/RtrRsnInf, else the message-level OrgnlGrpInf/RtrRsnInf. */
  readonly reasons: readonly Reason[];
}

export interface Pacs004 {
  readonly type: 'pacs.004.001.09';
  readonly groupHeader: {
    readonly msgId: string;
    readonly creDtTm: string;
    readonly nbOfTxs: string;
    readonly nbOfTxsLine: number;
    readonly ctrlSum?: string;
    readonly settlementMethod: string;
  };
  readonly originalGroup?: OriginalGroup;
  readonly returns: readonly PaymentReturn[];
}

export interface CancellationRequest {
  readonly index: number;
  readonly line: number;
  readonly cxlId?: string;
  /** TxInf/Case/Id, else the message-level Case/Id. */
  readonly caseId?: string;
  readonly originalGroup?: OriginalGroup;
  readonly orgnlInstrId?: string;
  readonly orgnlEndToEndId?: string;
  readonly orgnlTxId?: string;
  readonly orgnlUetr?: string;
  readonly originalAmount?: Amount;
  readonly reasons: readonly Reason[];
}

/**
 * Party40Choice subtrees (Assgnr, Assgne, Cretr) are kept as the validated element so an answer can
 * send them back verbatim with the roles swapped, whatever identification the sender used.
 */
export interface Camt056 {
  readonly type: 'camt.056.001.08';
  readonly assignment: {
    readonly id: string;
    readonly creDtTm: string;
    readonly assigner: XmlNode;
    readonly assignee: XmlNode;
  };
  readonly case?: { readonly id: string; readonly creator: XmlNode };
  readonly controlData?: { readonly nbOfTxs: string; readonly ctrlSum?: string; readonly line: number };
  readonly cancellations: readonly CancellationRequest[];
}

function readOriginalGroup(node: XmlNode | undefined): OriginalGroup | undefined {
  if (node === undefined) return undefined;
  return {
    msgId: textAt(node, 'OrgnlMsgId') ?? '',
    msgNmId: textAt(node, 'OrgnlMsgNmId') ?? '',
    ...opt('creDtTm', textAt(node, 'OrgnlCreDtTm')),
  };
}

/** Reads a schema-valid pacs.004.001.09 Document. */
export function readPacs004(doc: XmlNode): Pacs004 {
  const root = child(doc, 'PmtRtr');
  const gh = child(root, 'GrpHdr');
  const groupNode = child(root, 'OrgnlGrpInf');
  const originalGroup = readOriginalGroup(groupNode);
  const groupReasons = readReasons(childrenNamed(groupNode, 'RtrRsnInf'));
  return {
    type: 'pacs.004.001.09',
    groupHeader: {
      ...readGroupHeaderCounts(gh),
      settlementMethod: textAt(gh, 'SttlmInf', 'SttlmMtd') ?? '',
    },
    ...opt('originalGroup', originalGroup),
    returns: childrenNamed(root, 'TxInf').map((tx, index) => {
      const reasons = readReasons(childrenNamed(tx, 'RtrRsnInf'));
      return {
        index,
        line: tx.line,
        ...opt('rtrId', textAt(tx, 'RtrId')),
        ...opt('originalGroup', readOriginalGroup(child(tx, 'OrgnlGrpInf')) ?? originalGroup),
        ...readOriginalIds(tx),
        ...opt('returnedAmount', readAmount(child(tx, 'RtrdIntrBkSttlmAmt'))),
        reasons: reasons.length > 0 ? reasons : groupReasons,
      };
    }),
  };
}

/** Reads a schema-valid camt.056.001.08 Document. */
export function readCamt056(doc: XmlNode): Camt056 {
  const root = child(doc, 'FIToFIPmtCxlReq');
  const asg = child(root, 'Assgnmt');
  const caseNode = child(root, 'Case');
  const ctrl = child(root, 'CtrlData');
  const caseId = textAt(caseNode, 'Id');
  const cancellations: CancellationRequest[] = [];
  for (const und of childrenNamed(root, 'Undrlyg')) {
    const groupNode = child(und, 'OrgnlGrpInfAndCxl');
    const group = readOriginalGroup(groupNode);
    const groupReasons = readReasons(childrenNamed(groupNode, 'CxlRsnInf'));
    for (const tx of childrenNamed(und, 'TxInf')) {
      const reasons = readReasons(childrenNamed(tx, 'CxlRsnInf'));
      cancellations.push({
        index: cancellations.length,
        line: tx.line,
        ...opt('cxlId', textAt(tx, 'CxlId')),
        ...opt('caseId', textAt(tx, 'Case', 'Id') ?? caseId),
        ...opt('originalGroup', readOriginalGroup(child(tx, 'OrgnlGrpInf')) ?? group),
        ...readOriginalIds(tx),
        ...opt('originalAmount', readAmount(child(tx, 'OrgnlIntrBkSttlmAmt'))),
        reasons: reasons.length > 0 ? reasons : groupReasons,
      });
    }
  }
  const assigner = child(asg, 'Assgnr');
  const assignee = child(asg, 'Assgne');
  const creator = child(caseNode, 'Cretr');
  if (assigner === undefined || assignee === undefined) {
    throw new Error('camt.056 without Assgnr/Assgne reached the reader; validate first');
  }
  return {
    type: 'camt.056.001.08',
    assignment: {
      id: textAt(asg, 'Id') ?? '',
      creDtTm: textAt(asg, 'CreDtTm') ?? '',
      assigner,
      assignee,
    },
    ...(caseId === undefined || creator === undefined ? {} : { case: { id: caseId, creator } }),
    ...(ctrl === undefined
      ? {}
      : {
          controlData: {
            nbOfTxs: textAt(ctrl, 'NbOfTxs') ?? '',
            ...opt('ctrlSum', textAt(ctrl, 'CtrlSum')),
            line: ctrl.line,
          },
        }),
    cancellations,
  };
}
