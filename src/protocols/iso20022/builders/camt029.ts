import type { Camt056 } from '../readers/return-and-cancellation';
import type { XmlNode } from '../xml-tree';
import { el, fromNode, optEl, type XElement } from '../xml-writer';
import {
  Iso20022BuildError,
  isoDateTime,
  MAX105,
  optMax35,
  requireMax35,
  truncate,
  type Clock,
} from './common';

/**
 * camt.029.001.09 (Resolution of Investigation) answering a camt.056.001.08.
 *
 * No camt.029 XSD is carried here, so this output is NOT validated against a schema in this project.
 * It follows the published ResolutionOfInvestigationV09 sequence:
 *   Assgnmt (CaseAssignment5: Id, Assgnr, Assgne, CreDtTm), RslvdCase? (Case5: Id, Cretr),
 *   Sts (InvestigationStatus5Choice: Conf), CxlDtls* (UnderlyingTransaction22: TxInfAndSts*),
 * with TxInfAndSts = PaymentTransaction102: CxlStsId?, RslvdCase?, OrgnlGrpInf?, OrgnlInstrId?,
 *   OrgnlEndToEndId?, OrgnlTxId?, OrgnlClrSysRef?, OrgnlUETR?, TxCxlSts?, CxlStsRsnInf* (Orgtr?, Rsn
 *   (Cd | Prtry), AddtlInf*).
 */
const CAMT029_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:camt.029.001.09';

/** CancellationIndividualStatus1Code (a closed XSD enumeration). */
export type CancellationStatus = 'ACCR' | 'RJCR' | 'PDCR';

/**
 * ExternalInvestigationExecutionConfirmation1Code values used here: CNCL cancelled as requested, RJCR
 * cancellation rejected, PDCR pending, PECR partially executed (some accepted, some not).
 */
export type InvestigationConfirmation = 'CNCL' | 'RJCR' | 'PDCR' | 'PECR';

/**
 * ExternalPaymentCancellationRejection1Code values this project may send. No code set file is carried
 * for it, so the list is closed here: ARDT already returned, AC04 account closed, AGNT agent decision,
 * AM04 insufficient funds, CUST creditor/customer decision, LEGL legal reasons, NOAS no answer from
 * the beneficiary, NOOR original never received, PTNA passed to the next agent.
 */
export type CancellationRejectionReason =
  'ARDT' | 'AC04' | 'AGNT' | 'AM04' | 'CUST' | 'LEGL' | 'NOAS' | 'NOOR' | 'PTNA';

export interface CancellationStatusInput {
  readonly cxlStsId?: string;
  readonly originalGroup?: { readonly msgId: string; readonly msgNmId: string; readonly creDtTm?: string };
  readonly originalInstrId?: string;
  readonly originalEndToEndId?: string;
  readonly originalTxId?: string;
  readonly originalUetr?: string;
  readonly status: CancellationStatus;
  readonly reason?: { readonly code: CancellationRejectionReason; readonly additionalInfo?: string };
}

export interface Camt029Input {
  readonly assignmentId: string;
  /** Party40Choice alternatives (`<Agt>` or `<Pty>`): us, and who asked. */
  readonly assigner: XElement;
  readonly assignee: XElement;
  readonly resolvedCase?: { readonly id: string; readonly creator: XElement };
  /** Derived from the transactions when absent. */
  readonly confirmation?: InvestigationConfirmation;
  readonly transactions: readonly CancellationStatusInput[];
}

export function confirmationOf(statuses: readonly CancellationStatus[]): InvestigationConfirmation {
  const accepted = statuses.filter((s) => s === 'ACCR').length;
  if (accepted > 0) return accepted === statuses.length ? 'CNCL' : 'PECR';
  return statuses.some((s) => s === 'PDCR') ? 'PDCR' : 'RJCR';
}

export function buildCamt029(input: Camt029Input, clock: Clock): XElement {
  const confirmation = input.confirmation ?? confirmationOf(input.transactions.map((t) => t.status));
  const caseEl = (name: string, c: { id: string; creator: XElement }): XElement =>
    el(name, [el('Id', requireMax35('Case Id', c.id)), el('Cretr', [c.creator])]);
  return el(
    'Document',
    [
      el('RsltnOfInvstgtn', [
        el('Assgnmt', [
          el('Id', requireMax35('Assgnmt/Id', input.assignmentId)),
          el('Assgnr', [input.assigner]),
          el('Assgne', [input.assignee]),
          el('CreDtTm', isoDateTime(clock.now())),
        ]),
        input.resolvedCase === undefined ? undefined : caseEl('RslvdCase', input.resolvedCase),
        el('Sts', [el('Conf', confirmation)]),
        input.transactions.length === 0
          ? undefined
          : el(
              'CxlDtls',
              input.transactions.map((t) =>
                el('TxInfAndSts', [
                  optEl('CxlStsId', optMax35('CxlStsId', t.cxlStsId)),
                  t.originalGroup === undefined
                    ? undefined
                    : el('OrgnlGrpInf', [
                        el('OrgnlMsgId', requireMax35('OrgnlMsgId', t.originalGroup.msgId)),
                        el('OrgnlMsgNmId', requireMax35('OrgnlMsgNmId', t.originalGroup.msgNmId)),
                        optEl('OrgnlCreDtTm', t.originalGroup.creDtTm),
                      ]),
                  optEl('OrgnlInstrId', optMax35('OrgnlInstrId', t.originalInstrId)),
                  optEl('OrgnlEndToEndId', optMax35('OrgnlEndToEndId', t.originalEndToEndId)),
                  optEl('OrgnlTxId', optMax35('OrgnlTxId', t.originalTxId)),
                  optEl('OrgnlUETR', t.originalUetr),
                  el('TxCxlSts', t.status),
                  t.reason === undefined
                    ? undefined
                    : el('CxlStsRsnInf', [
                        el('Rsn', [el('Cd', t.reason.code)]),
                        optEl(
                          'AddtlInf',
                          t.reason.additionalInfo === undefined
                            ? undefined
                            : truncate(t.reason.additionalInfo, MAX105),
                        ),
                      ]),
                ]),
              ),
            ),
      ]),
    ],
    { xmlns: CAMT029_NAMESPACE },
  );
}

/** The decision on one cancellation request of a camt.056, in its order. */
export interface CancellationDecision {
  readonly status: CancellationStatus;
  readonly reason?: CancellationStatusInput['reason'];
}

/**
 * camt.029 input answering a received camt.056: Assgnr/Assgne swapped, the case it resolves, and per
 * request the original identifiers it named.
 */
export function camt029InputFor(
  request: Camt056,
  decisions: readonly CancellationDecision[],
  assignmentId: string,
): Camt029Input {
  if (decisions.length !== request.cancellations.length) {
    throw new Iso20022BuildError(
      `${decisions.length} decisions for ${request.cancellations.length} cancellation requests`,
    );
  }
  const choice = (node: XmlNode, what: string): XElement => {
    const c = node.children[0];
    if (c === undefined) throw new Iso20022BuildError(`${what} holds no party`);
    return fromNode(c);
  };
  return {
    assignmentId,
    assigner: choice(request.assignment.assignee, 'Assgne'),
    assignee: choice(request.assignment.assigner, 'Assgnr'),
    ...(request.case === undefined
      ? {}
      : { resolvedCase: { id: request.case.id, creator: choice(request.case.creator, 'Cretr') } }),
    transactions: request.cancellations.map((c, i) => {
      const d = decisions[i];
      if (d === undefined) throw new Iso20022BuildError(`no decision for cancellation request ${i}`);
      return {
        ...(c.originalGroup === undefined ? {} : { originalGroup: c.originalGroup }),
        ...(c.orgnlInstrId === undefined ? {} : { originalInstrId: c.orgnlInstrId }),
        ...(c.orgnlEndToEndId === undefined ? {} : { originalEndToEndId: c.orgnlEndToEndId }),
        ...(c.orgnlTxId === undefined ? {} : { originalTxId: c.orgnlTxId }),
        ...(c.orgnlUetr === undefined ? {} : { originalUetr: c.orgnlUetr }),
        status: d.status,
        ...(d.reason === undefined ? {} : { reason: d.reason }),
      };
    }),
  };
}
