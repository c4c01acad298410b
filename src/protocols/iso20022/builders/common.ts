import { randomUUID } from 'node:crypto';

import { codePointLength, MAX35 } from '../business-checks';
import { defaultCodeSets, type CodeSets } from '../code-sets';
import type { StatusReason } from '../status';
import { el, optEl, type XElement } from '../xml-writer';

/** Structurally the project's Clock (src/lanes/security/clock.ts), so systemClock can be passed. */
export interface Clock {
  now(): Date;
}

/** A builder was asked to emit something no receiver could accept: a bug in the caller, not input. */
export class Iso20022BuildError extends Error {
  override readonly name = 'Iso20022BuildError';
}

export const MAX105 = 105;

/** A fresh Max35Text identifier: a UUID without hyphens (32 characters; with them it is 36). */
export function newMessageId(): string {
  return randomUUID().replace(/-/g, '');
}

export function requireMax35(label: string, value: string): string {
  const n = codePointLength(value);
  if (n < 1 || n > MAX35) throw new Iso20022BuildError(`${label} must be 1-${MAX35} characters, got ${n}`);
  return value;
}

export function optMax35(label: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : requireMax35(label, value);
}

/** Cuts to at most `max` characters without splitting a surrogate pair. */
export function truncate(value: string, max: number): string {
  const chars = [...value];
  return chars.length <= max ? value : chars.slice(0, max).join('');
}

/** ISODateTime in UTC with an explicit offset and whole seconds (accepted by every usage guideline). */
export function isoDateTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

export function requireCode(set: ReadonlySet<string>, code: string, what: string): string {
  if (!set.has(code)) throw new Iso20022BuildError(`${code} is not in the ${what} code set`);
  return code;
}

/** StsRsnInf with Rsn/Cd (checked against ExternalStatusReason1Code) and AddtlInf trimmed to 105. */
export function statusReasonEl(
  reason: StatusReason | undefined,
  codeSets: CodeSets = defaultCodeSets(),
): XElement | undefined {
  if (reason === undefined) return undefined;
  const info = reason.additionalInfo?.trim();
  return el('StsRsnInf', [
    el('Rsn', [el('Cd', requireCode(codeSets.statusReason, reason.code, 'ExternalStatusReason1Code'))]),
    info === undefined || info === '' ? undefined : el('AddtlInf', truncate(info, MAX105)),
  ]);
}

export interface OriginalGroupInput {
  readonly msgId: string;
  readonly msgNmId: string;
  readonly creDtTm?: string;
  readonly nbOfTxs?: string;
  readonly ctrlSum?: string;
}

export function groupHeaderEl(msgId: string, clock: Clock): XElement {
  return el('GrpHdr', [el('MsgId', requireMax35('MsgId', msgId)), el('CreDtTm', isoDateTime(clock.now()))]);
}

/** OrgnlMsgId, OrgnlMsgNmId, OrgnlCreDtTm?, OrgnlNbOfTxs?, OrgnlCtrlSum?: the shared head of OrgnlGrpInfAndSts. */
export function originalGroupEls(original: OriginalGroupInput): (XElement | undefined)[] {
  return [
    el('OrgnlMsgId', requireMax35('OrgnlMsgId', original.msgId)),
    el('OrgnlMsgNmId', requireMax35('OrgnlMsgNmId', original.msgNmId)),
    optEl('OrgnlCreDtTm', original.creDtTm),
    optEl('OrgnlNbOfTxs', original.nbOfTxs),
    optEl('OrgnlCtrlSum', original.ctrlSum),
  ];
}
