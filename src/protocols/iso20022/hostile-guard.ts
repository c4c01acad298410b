/** Default body cap: a bill-payment pacs.008/pain.001 is a few KB; a batch of a few hundred fits. */
export const DEFAULT_MAX_BYTES = 1024 * 1024;

export type RefusalReason = 'empty' | 'too-large' | 'doctype' | 'not-utf8';

export interface Refusal {
  readonly reason: RefusalReason;
  readonly message: string;
}

const DOCTYPE = Buffer.from('<!DOCTYPE');
const ENTITY = Buffer.from('<!ENTITY');
const DOCTYPE_LOWER = Buffer.from('<!doctype');
const ENTITY_LOWER = Buffer.from('<!entity');
const UTF8_BOM = [0xef, 0xbb, 0xbf];
/** The XML declaration, if any, must be first; 200 bytes covers any honest one. */
const DECLARATION_WINDOW = 200;

/** The body as bytes, refusing an oversized string before paying to encode it. */
export function toBytes(
  body: Uint8Array | string,
  maxBytes: number,
): { readonly bytes: Uint8Array } | { readonly refusal: Refusal } {
  if (typeof body !== 'string') return { bytes: body };
  // A UTF-8 encoding is never shorter than the string's UTF-16 length.
  if (body.length > maxBytes) return { refusal: tooLarge(maxBytes) };
  return { bytes: Buffer.from(body, 'utf8') };
}

/**
 * Cheap checks before any parser sees the bytes. ISO 20022 messages never need a DTD, so any DOCTYPE or
 * ENTITY declaration is refused outright: this is what stops XXE, billion laughs and entity blow-ups,
 * whatever the parser's own limits. Only UTF-8 is accepted, because a scan for ASCII "<!DOCTYPE"
 * would not see one written in UTF-16 or EBCDIC. (A comment or CDATA quoting "<!DOCTYPE" is refused
 * too; no payment message has a reason to carry one.)
 */
export function screenHostileXml(
  bytes: Uint8Array,
  maxBytes: number = DEFAULT_MAX_BYTES,
): Refusal | undefined {
  if (bytes.length === 0) return { reason: 'empty', message: 'The body is empty' };
  if (bytes.length > maxBytes) return tooLarge(maxBytes);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (!looksLikeUtf8Xml(buf)) {
    return { reason: 'not-utf8', message: 'Only UTF-8 encoded XML is accepted' };
  }
  for (const needle of [DOCTYPE, ENTITY, DOCTYPE_LOWER, ENTITY_LOWER]) {
    if (buf.indexOf(needle) !== -1) {
      return { reason: 'doctype', message: 'DOCTYPE and ENTITY declarations are not accepted' };
    }
  }
  return undefined;
}

function tooLarge(maxBytes: number): Refusal {
  return { reason: 'too-large', message: `The body exceeds the ${maxBytes}-byte limit` };
}

function looksLikeUtf8Xml(buf: Buffer): boolean {
  // UTF-16/32 put NUL bytes next to every ASCII character; UTF-8 XML has none.
  if (buf.indexOf(0) !== -1) return false;
  let start = 0;
  if (buf[0] === UTF8_BOM[0] && buf[1] === UTF8_BOM[1] && buf[2] === UTF8_BOM[2]) start = 3;
  while (start < buf.length && isXmlSpace(buf[start])) start += 1;
  // EBCDIC and other non-ASCII-compatible encodings do not start with '<' (0x3c).
  if (buf[start] !== 0x3c) return false;
  const head = buf.subarray(start, start + DECLARATION_WINDOW).toString('latin1');
  if (!head.startsWith('<?xml')) return true;
  const end = head.indexOf('?>');
  const declaration = end === -1 ? head : head.slice(0, end);
  const encoding = /\sencoding\s*=\s*["']([^"']*)["']/.exec(declaration)?.[1];
  return encoding === undefined || /^utf-?8$/i.test(encoding);
}

function isXmlSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}
