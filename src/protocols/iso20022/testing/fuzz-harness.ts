import { approvingPipeline } from '../../../pipeline/testing/approving-pipeline';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { BillTypeCatalog } from '../../../domain/catalog/bill-types';
import { createLogger } from '../../../infrastructure/logging/logger';
import type { ReversalService } from '../../../pipeline/reversal.service';
import { FuzzFailure, iterationSeed, prng } from '../../fuzzing';
import type { Iso20022Engine } from '../engine';
import type { CreditorDirectory } from '../lane/creditor-directory';
import { ISO20022_ENDPOINTS, Iso20022Translator, type Iso20022Endpoint } from '../lane/iso20022-translator';

/**
 * The ISO 20022 fuzz target shared by `npm run fuzz` and the unit spec that replays saved cases
 * (fuzz-corpus.spec.ts). Test-only code.
 *
 * Inputs: the vendored sample messages (and the lane's golden requests) mutated at the byte level
 * (flips, cuts, insertions, invalid UTF-8), at the value level (amounts, currencies, ids, dates turned
 * into edge values), at the structure level (elements dropped or repeated hundreds of times, nesting
 * thousands deep, namespaces swapped, comments, CDATA, processing instructions), plus the classic
 * attacks (billion laughs, external entities, parameter entities, huge attributes and whitespace at
 * and over the 1 MiB cap, UTF-16, NUL). Each is a pure function of (seed, iteration).
 *
 * Oracle: Iso20022Translator.handle (the lane without HTTP, over a pipeline that approves everything)
 * resolves, never throws; a refusal is a 400 with a slug; an answer is XML the engine reads back (a
 * pacs.002 or pain.002 valid against its XSD; a camt.029 at least well-formed); nothing of a local
 * file ever appears in what is returned.
 */

const NS = 'urn:iso:std:iso:20022:tech:xsd:';

export interface XmlSeedDocument {
  readonly name: string;
  readonly endpoint: Iso20022Endpoint;
  readonly text: string;
}

function endpointOf(text: string): Iso20022Endpoint | undefined {
  for (const [endpoint, types] of Object.entries(ISO20022_ENDPOINTS)) {
    if ((types as readonly string[]).some((t) => text.includes(`${NS}${t}`)))
      return endpoint as Iso20022Endpoint;
  }
  return undefined;
}

function xmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    if (statSync(path).isDirectory()) return xmlFiles(path);
    return f.endsWith('.xml') ? [path] : [];
  });
}

/**
 * The seed messages: every vendored sample and golden request a lane endpoint accepts (answers such
 * as pacs.002 are left out: posted to the lane they are only refused as the wrong type). Read from the
 * repository root.
 */
export function loadXmlSeeds(root = process.cwd()): XmlSeedDocument[] {
  const dirs = [join(root, 'src/protocols/iso20022/fixtures'), join(root, 'test/fixtures/iso20022/samples')];
  return dirs
    .flatMap(xmlFiles)
    .sort()
    .flatMap((path) => {
      const text = readFileSync(path, 'utf8');
      const endpoint = endpointOf(text);
      return endpoint === undefined ? [] : [{ name: path.slice(root.length + 1), endpoint, text }];
    });
}

const ENDPOINTS = Object.keys(ISO20022_ENDPOINTS) as Iso20022Endpoint[];

const EDGE_VALUES = [
  '',
  ' ',
  '0',
  '-1',
  '0.00',
  '0.001',
  '1e309',
  '-0',
  'NaN',
  '99999999999999999999999999999.99',
  '1.7976931348623157e+308',
  '9007199254740993',
  'BDT',
  'XXX',
  'bdt',
  '2026-02-30',
  '9999-12-31T23:59:59.999999999+14:00',
  'ELECTRICITY',
  'x'.repeat(141),
  'y'.repeat(10_000),
  '\u202eevil\u202c',
  '😀'.repeat(40),
  '&amp;&lt;&gt;&quot;&apos;',
  '&#0;',
  '&#x110000;',
  '&#xD800;',
  '&undefined;',
  '<![CDATA[</Document>]]>',
  '\t\r\n',
  "'; drop table payments; --",
  '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  '../../../../etc/passwd',
];

const DOCTYPES = [
  // billion laughs
  (() => {
    let decl = '<!ENTITY l0 "lol">';
    for (let i = 1; i <= 9; i += 1) decl += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`;
    return `<!DOCTYPE Document [${decl}]>`;
  })(),
  '<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
  '<!DOCTYPE Document [<!ENTITY x SYSTEM "http://127.0.0.1:1/x">]>',
  '<!DOCTYPE Document [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
  '<!DOCTYPE Document SYSTEM "file:///etc/passwd">',
  `<!DOCTYPE Document [<!ENTITY big "${'x'.repeat(10_000)}">]>`,
  '<!doctype Document>',
];

const INVALID_UTF8 = [
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xff]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0x00]),
];

type Rnd = () => number;
const pick = <T>(r: Rnd, xs: readonly T[]): T => xs[r() % xs.length]!;

/** A text node or attribute value, at random: [start, end) of the value in `s`. */
function valueSpan(s: string, r: Rnd): [number, number] | undefined {
  const spans: [number, number][] = [];
  const re = r() % 3 === 0 ? /="([^"]*)"/g : />([^<>]+)</g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    if (re.source.startsWith('>') && m[1]!.trim() === '') continue;
    const start = m.index + (re.source.startsWith('=') ? 2 : 1);
    spans.push([start, start + m[1]!.length]);
  }
  return spans.length === 0 ? undefined : pick(r, spans);
}

/** A leaf element `<X ...>text</X>` at random: [start, end) of the whole element. */
function leafSpan(s: string, r: Rnd): [number, number] | undefined {
  const spans: [number, number][] = [];
  const re = /<([A-Za-z][\w.:-]*)(\s[^<>]*)?>[^<]*<\/\1>/g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) spans.push([m.index, m.index + m[0].length]);
  return spans.length === 0 ? undefined : pick(r, spans);
}

/** Any element with its content (the first close tag of its name): [start, end). */
function elementSpan(s: string, r: Rnd): [number, number] | undefined {
  const opens = [...s.matchAll(/<([A-Za-z][\w.:-]*)[\s>]/g)];
  if (opens.length === 0) return undefined;
  const m = pick(r, opens);
  const close = s.indexOf(`</${m[1]}>`, m.index);
  return close < 0 ? undefined : [m.index, close + m[1]!.length + 3];
}

const splice = (s: string, [a, b]: [number, number], insert: string): string =>
  s.slice(0, a) + insert + s.slice(b);
const anyPoint = (s: string, r: Rnd): number => {
  const tags = [...s.matchAll(/>/g)];
  return tags.length === 0 ? r() % (s.length + 1) : pick(r, tags).index + 1;
};

type TextMutation = (s: string, r: Rnd) => string;

const TEXT_MUTATIONS: readonly TextMutation[] = [
  // a value (text or attribute) turned into an edge value
  (s, r) => {
    const span = valueSpan(s, r);
    return span === undefined ? s : splice(s, span, pick(r, EDGE_VALUES));
  },
  // a leaf element dropped
  (s, r) => {
    const span = leafSpan(s, r);
    return span === undefined ? s : splice(s, span, '');
  },
  // an element repeated (transactions many times over: counts, sums, duplicates inside one message)
  (s, r) => {
    const span = elementSpan(s, r);
    if (span === undefined) return s;
    const el = s.slice(span[0], span[1]);
    const times = pick(r, [2, 3, 10, 100, 500]);
    return el.length * times > 2_000_000 ? s : splice(s, span, el.repeat(times));
  },
  // nesting injected: a few levels, past libxml2's 256, far past it
  (s, r) => {
    const depth = pick(r, [8, 255, 257, 5_000, 100_000]);
    const name = pick(r, ['a', 'Document', 'CdtTrfTxInf']);
    const at = anyPoint(s, r);
    return s.slice(0, at) + `<${name}>`.repeat(depth) + `</${name}>`.repeat(depth) + s.slice(at);
  },
  // a namespace swapped for another message's, an unknown one or none
  (s, r) => {
    const m = [...s.matchAll(/xmlns="([^"]*)"/g)];
    if (m.length === 0) return s;
    const target = pick(r, m);
    const replacement = pick(r, [
      `${NS}pacs.008.001.08`,
      `${NS}pacs.008.001.02`,
      `${NS}pain.001.001.03`,
      `${NS}camt.056.001.08`,
      `${NS}pacs.002.001.10`,
      'urn:swift:xsd:envelope',
      'http://evil.example/ns',
      '',
    ]);
    const start = target.index + 'xmlns="'.length;
    return splice(s, [start, start + target[1]!.length], replacement);
  },
  // a DOCTYPE (billion laughs, external and parameter entities) before the root
  (s, r) => {
    const root = s.search(/<[A-Za-z]/);
    const at = root < 0 ? 0 : root;
    return s.slice(0, at) + pick(r, DOCTYPES) + s.slice(at);
  },
  // comments, CDATA and processing instructions where elements go
  (s, r) => {
    const at = anyPoint(s, r);
    const junk = pick(r, [
      '<!-- -- -->',
      '<!---->',
      '<![CDATA[<Document/>]]>',
      '<?xml-stylesheet href="file:///etc/passwd"?>',
      '<?xml version="1.0"?>',
      '<?php ?>',
      '&x;',
      '&#65;',
      '<!ELEMENT a ANY>',
    ]);
    return s.slice(0, at) + junk + s.slice(at);
  },
  // a huge attribute or a whitespace flood: under the cap, at it, over it
  (s, r) => {
    const size = pick(r, [60_000, 900_000, 1_048_000, 1_100_000]);
    if (r() % 2 === 0) {
      const open = s.search(/<[A-Za-z][^!?]/);
      if (open < 0) return s;
      const end = s.indexOf('>', open);
      return `${s.slice(0, end)} big="${'y'.repeat(size)}"${s.slice(end)}`;
    }
    const at = anyPoint(s, r);
    return s.slice(0, at) + ' '.repeat(size) + s.slice(at);
  },
  // the XML declaration changed: another encoding, another version, standalone, none
  (s, r) => {
    const decl = pick(r, [
      '<?xml version="1.0" encoding="ISO-8859-1"?>',
      '<?xml version="1.1" encoding="UTF-8"?>',
      '<?xml version="1.0" encoding="UTF-16"?>',
      '<?xml version="1.0" encoding="EBCDIC-US"?>',
      '<?xml version="1.0" standalone="yes"?>',
      '',
    ]);
    return s.startsWith('<?xml') ? decl + s.slice(s.indexOf('?>') + 2) : decl + s;
  },
  // many attributes on one element (an attribute flood)
  (s, r) => {
    const open = s.search(/<[A-Za-z][^!?]/);
    if (open < 0) return s;
    const end = s.indexOf('>', open);
    const n = pick(r, [50, 5_000, 50_000]);
    const attrs = Array.from({ length: n }, (_, i) => ` a${i}="${i}"`).join('');
    return s.slice(0, end) + attrs + s.slice(end);
  },
];

type ByteMutation = (b: Buffer, r: Rnd) => Buffer;

const BYTE_MUTATIONS: readonly ByteMutation[] = [
  (b, r) => {
    if (b.length > 0) {
      const i = r() % b.length;
      b[i] = b[i]! ^ (1 << (r() % 8));
    }
    return b;
  },
  (b, r) => b.subarray(0, r() % (b.length + 1)),
  (b, r) => {
    const at = r() % (b.length + 1);
    return Buffer.concat([b.subarray(0, at), pick(r, INVALID_UTF8), b.subarray(at)]);
  },
  (b, r) => {
    if (b.length === 0) return b;
    const at = r() % b.length;
    return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + (r() % 64))]);
  },
  // re-encoded as UTF-16, with or without a byte-order mark
  (b, r) => {
    const text = b.toString('utf8');
    return r() % 2 === 0 ? Buffer.from(`\ufeff${text}`, 'utf16le') : Buffer.from(text, 'utf16le');
  },
];

/** The body of iteration `i`, and the endpoint it is posted to. */
export function xmlInputFor(
  seeds: readonly XmlSeedDocument[],
  seed: number,
  i: number,
): { endpoint: Iso20022Endpoint; body: Buffer } {
  const r = prng(iterationSeed(seed, i));
  const base = pick(r, seeds);
  // Mostly its own endpoint; sometimes another one (the wrong message type must be refused cleanly).
  const endpoint = r() % 8 === 0 ? pick(r, ENDPOINTS) : base.endpoint;
  let text = base.text;
  const structural = r() % 4;
  for (let k = 0; k < structural; k += 1) text = pick(r, TEXT_MUTATIONS)(text, r);
  let body = Buffer.from(text, 'utf8');
  if (r() % 3 === 0) body = Buffer.from(pick(r, BYTE_MUTATIONS)(Buffer.from(body), r));
  return { endpoint, body };
}

// ---- the lane without HTTP ---------------------------------------------------------------------

const approving = approvingPipeline('bank-customer', () => new Date(0));

const noOriginal = {
  reverse: () =>
    Promise.resolve({
      kind: 'processed',
      result: { status: 'ORIGINAL_NOT_FOUND', originalPaymentId: null, billerReversal: 'not-needed' },
    }),
} as unknown as ReversalService;

/** Stand-ins for what lies behind the lane: every bill type offered, every creditor an electricity biller. */
export function fuzzTranslator(engine: Iso20022Engine): Iso20022Translator {
  return new Iso20022Translator({
    engine,
    pipeline: approving,
    reversals: noOriginal,
    billTypes: { has: () => Promise.resolve(true) } as unknown as BillTypeCatalog,
    creditors: {
      lookup: () => Promise.resolve((id: string) => (id.trim() === '' ? undefined : 'ELECTRICITY')),
    } as unknown as CreditorDirectory,
    log: createLogger('silent'),
    clock: { now: () => new Date('2026-12-06T00:00:00Z') },
    // Every UETR the fuzzer makes up is this partner's own.
    uetrs: { claim: () => Promise.resolve({ kind: 'ours' }) },
  });
}

const CALLER = {
  partner: {
    id: 'demo-bank',
    name: 'Demo Bank',
    kind: 'bank' as const,
    payerTypes: ['bank-customer' as const],
    status: 'live' as const,
  },
  lane: { id: 'fuzz' },
};

/** The oracle on one body: returns the outcome's name, throws FuzzFailure when broken. */
export async function checkIso20022(
  translator: Iso20022Translator,
  engine: Iso20022Engine,
  endpoint: Iso20022Endpoint,
  body: Buffer,
): Promise<string> {
  let reply;
  try {
    reply = await translator.handle(endpoint, body, CALLER);
  } catch (err) {
    throw new FuzzFailure(
      `handle threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
    );
  }
  if (/root:x?:0:0|daemon:x?:/.test(JSON.stringify(reply)))
    throw new FuzzFailure('a local file leaked into the reply');
  if (reply.kind === 'refusal') {
    if (reply.refusal.status !== 400 || reply.refusal.slug === '') {
      throw new FuzzFailure(
        `refusal without a 400 and a slug: ${JSON.stringify(reply.refusal).slice(0, 300)}`,
      );
    }
    return `refused:${reply.refusal.slug}`;
  }
  const back = engine.receive(reply.answer.xml);
  if (reply.answer.messageType === 'camt.029.001.09') {
    // No camt.029 XSD is carried: well-formed is what can be checked.
    if (!back.ok && back.failure.kind !== 'unsupported') {
      throw new FuzzFailure(
        `camt.029 answer is not well-formed XML: ${JSON.stringify(back.failure).slice(0, 300)}`,
      );
    }
  } else if (!back.ok || back.message.messageType !== reply.answer.messageType) {
    throw new FuzzFailure(
      `${reply.answer.messageType} answer does not read back as one: ${JSON.stringify(back.ok ? back.message.messageType : back.failure).slice(0, 400)}`,
    );
  }
  return `answered:${reply.answer.messageType}`;
}
