import type { EnvelopeInfo } from '../engine';
import { APP_HDR_TYPE, namespaceOf } from '../message-types';
import type { AppHdr } from '../readers/app-hdr';
import type { XmlNode } from '../xml-tree';
import { el, fromNode, optEl, serialize, type XElement } from '../xml-writer';
import { Iso20022BuildError, isoDateTime, optMax35, requireMax35, type Clock } from './common';

/** A Party44Choice alternative: `<FIId>...</FIId>` or `<OrgId>...</OrgId>`. */
export type AppHdrParty = XElement;

export interface AppHdrInput {
  readonly from: AppHdrParty;
  readonly to: AppHdrParty;
  readonly bizMsgIdr: string;
  /** The message definition of the Document it travels with, e.g. "pacs.002.001.10". */
  readonly msgDefIdr: string;
  readonly bizSvc?: string;
  /** The header of the message this one answers (BusinessApplicationHeader5). */
  readonly related?: AppHdr;
}

/** A party identified by BIC, the common case for FI-to-FI traffic. */
export function partyByBic(bic: string): AppHdrParty {
  return el('FIId', [el('FinInstnId', [el('BICFI', bic)])]);
}

/** The Party44Choice alternative inside a received Fr/To, ready to be sent back. */
function partyOf(frOrTo: XmlNode): AppHdrParty {
  const choice = frOrTo.children[0];
  if (choice === undefined) throw new Iso20022BuildError(`${frOrTo.name} holds no party`);
  return fromNode(choice);
}

/** head.001.001.02 AppHdr, in schema order. */
export function buildAppHdr(input: AppHdrInput, clock: Clock): XElement {
  const rel = input.related;
  return el(
    'AppHdr',
    [
      el('Fr', [input.from]),
      el('To', [input.to]),
      el('BizMsgIdr', requireMax35('BizMsgIdr', input.bizMsgIdr)),
      el('MsgDefIdr', requireMax35('MsgDefIdr', input.msgDefIdr)),
      optEl('BizSvc', optMax35('BizSvc', input.bizSvc)),
      el('CreDt', isoDateTime(clock.now())),
      rel === undefined
        ? undefined
        : el('Rltd', [
            el('Fr', [partyOf(rel.from)]),
            el('To', [partyOf(rel.to)]),
            el('BizMsgIdr', rel.bizMsgIdr),
            el('MsgDefIdr', rel.msgDefIdr),
            optEl('BizSvc', rel.bizSvc),
            el('CreDt', rel.creDt),
            optEl('CpyDplct', rel.copyDuplicate),
            optEl('PssblDplct', rel.possibleDuplicate),
          ]),
    ],
    { xmlns: namespaceOf(APP_HDR_TYPE) },
  );
}

/** The answer's header: Fr and To swapped from the request's, the request referenced in Rltd. */
export function buildAnswerAppHdr(
  request: AppHdr,
  answer: { readonly bizMsgIdr: string; readonly msgDefIdr: string; readonly includeRelated?: boolean },
  clock: Clock,
): XElement {
  return buildAppHdr(
    {
      from: partyOf(request.to),
      to: partyOf(request.from),
      bizMsgIdr: answer.bizMsgIdr,
      msgDefIdr: answer.msgDefIdr,
      ...(request.bizSvc === undefined ? {} : { bizSvc: request.bizSvc }),
      ...(answer.includeRelated === false ? {} : { related: request }),
    },
    clock,
  );
}

const DEFAULT_ENVELOPE: EnvelopeInfo = { name: 'Envelope', namespace: 'urn:swift:xsd:envelope' };

/**
 * The XML text of an answer: a bare Document, or AppHdr + Document in a wrapper (by default the same
 * wrapper the request came in, else CBPR+'s urn:swift:xsd:envelope Envelope).
 */
export function answerXml(document: XElement, appHdr?: XElement, envelope?: EnvelopeInfo): string {
  if (appHdr === undefined && envelope === undefined) return serialize(document);
  const wrap = envelope ?? DEFAULT_ENVELOPE;
  const attrs = wrap.namespace === '' ? undefined : { xmlns: wrap.namespace };
  return serialize(el(wrap.name, [appHdr, document], attrs));
}
