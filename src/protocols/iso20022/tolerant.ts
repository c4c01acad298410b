import { codePointLength, MAX35 } from './business-checks';
import { messageDefinitionOf } from './message-types';
import { child, textAt, type XmlNode } from './xml-tree';

export interface TolerantIds {
  /** From the Document's namespace, e.g. "pacs.008.001.08". */
  readonly messageDefinition?: string;
  /** GrpHdr/MsgId (camt: Assgnmt/Id), only when it could be echoed back as a Max35Text. */
  readonly msgId?: string;
}

/** GrpHdr is at the top of every message; there is no reason to scan a whole body for it. */
const SCAN_LIMIT = 64 * 1024;
const NAME = '(?:[A-Za-z_][\\w.-]*:)?';
const DOCUMENT_NS = new RegExp(
  `<${NAME}Document\\b[^>]*?\\sxmlns(?::[\\w.-]+)?\\s*=\\s*["'](urn:iso:std:iso:20022:tech:xsd:[^"']+)["']`,
);
const GRP_HDR_MSG_ID = new RegExp(`<${NAME}GrpHdr\\b[^>]*>\\s*<${NAME}MsgId>([^<]*)</${NAME}MsgId>`);
const ASSIGNMENT_ID = new RegExp(`<${NAME}Assgnmt\\b[^>]*>\\s*<${NAME}Id>([^<]*)</${NAME}Id>`);

/**
 * Best-effort ids from a body that did not parse or did not validate, to address a rejection to its
 * sender. Call only after the hostile-XML screen (no DOCTYPE, so no entity can hide in the text).
 */
export function extractIdsTolerant(body: Uint8Array | string): TolerantIds {
  const text =
    typeof body === 'string'
      ? body.slice(0, SCAN_LIMIT)
      : Buffer.from(body.buffer, body.byteOffset, Math.min(body.length, SCAN_LIMIT)).toString('utf8');
  const ns = DOCUMENT_NS.exec(text)?.[1];
  const raw = GRP_HDR_MSG_ID.exec(text)?.[1] ?? ASSIGNMENT_ID.exec(text)?.[1];
  const msgId = raw === undefined ? undefined : asMax35(decodePredefinedEntities(raw));
  const messageDefinition = ns === undefined ? undefined : messageDefinitionOf(ns);
  return {
    ...(messageDefinition === undefined ? {} : { messageDefinition }),
    ...(msgId === undefined ? {} : { msgId }),
  };
}

/** The same from a parsed (well-formed, schema-invalid) Document tree. */
export function msgIdFromTree(document: XmlNode): string | undefined {
  const body = document.children[0];
  const raw = textAt(child(body, 'GrpHdr'), 'MsgId') ?? textAt(child(body, 'Assgnmt'), 'Id');
  return raw === undefined ? undefined : asMax35(raw);
}

function asMax35(value: string): string | undefined {
  const n = codePointLength(value);
  return n >= 1 && n <= MAX35 && value.trim() !== '' ? value : undefined;
}

function decodePredefinedEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (whole, ent: string) => {
    switch (ent) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const cp = ent.startsWith('#x') ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
        return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
      }
    }
  });
}
