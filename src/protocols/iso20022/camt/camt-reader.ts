import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CamtLayout, ReadItem, RowProblem, SourceReader, SourceRow } from '../../../domain/recon/layout';
import { currencyByCode } from '../../../domain/money/currency';
import { parseOptions } from '../engine';
import { screenHostileXml } from '../hostile-guard';
import { loadLibxml2, type Libxml2 } from '../libxml2-loader';
import { scanTree } from '../xml-scan';
import { child, childrenNamed, textAt, type XmlNode } from '../xml-tree';

type LibValidator = InstanceType<Libxml2['XsdValidator']>;
type LibElement = InstanceType<Libxml2['XmlElement']>;

/** The statement and notification versions read (and validated against their XSD) here. */
export const CAMT_SCHEMAS = [
  'camt.053.001.02',
  'camt.053.001.04',
  'camt.053.001.08',
  'camt.053.001.12',
  'camt.054.001.02',
  'camt.054.001.04',
  'camt.054.001.08',
  'camt.054.001.12',
] as const;
export type CamtSchema = (typeof CAMT_SCHEMAS)[number];

/** A camt statement is read as one document (XSD validation needs it whole); it is capped here. */
export const CAMT_MAX_BYTES = 64 * 1024 * 1024;

const NS = 'urn:iso:std:iso:20022:tech:xsd:';
const REFS = ['EndToEndId', 'InstrId', 'TxId', 'UETR', 'AcctSvcrRef', 'PmtInfId', 'MsgId'] as const;
type Ref = (typeof REFS)[number];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One booked entry (or one transaction of a batch entry) of a statement or notification. */
export interface CamtEntry {
  readonly line: number;
  readonly amount: string;
  readonly currency: string;
  readonly creditDebit: 'CRDT' | 'DBIT';
  readonly reversal: boolean;
  readonly status: string;
  readonly bookingDate: string | undefined;
  readonly valueDate: string | undefined;
  /** The statement's (notification's) creation date: the value date of an entry that gives none. */
  readonly reportDate: string | undefined;
  readonly refs: Partial<Record<Ref, string>>;
}

export interface CamtDocument {
  readonly messageType: CamtSchema;
  readonly messageId: string | undefined;
  readonly entries: readonly CamtEntry[];
  /** Entries not booked (pending, information only): not transactions to reconcile. */
  readonly skipped: number;
}

export type CamtParse =
  | { readonly ok: true; readonly document: CamtDocument }
  | { readonly ok: false; readonly problems: readonly RowProblem[] };

export function camtSchemaDir(): string {
  const candidates = [
    path.join(__dirname, 'schemas'),
    path.join(process.cwd(), 'src', 'protocols', 'iso20022', 'camt', 'schemas'),
  ];
  for (const dir of candidates) if (fs.existsSync(path.join(dir, 'camt.053.001.08.xsd'))) return dir;
  throw new Error(`camt XSDs not found (looked in ${candidates.join(', ')})`);
}

/**
 * Reads ISO 20022 bank-to-customer statements (camt.053) and debit/credit notifications (camt.054)
 * of the versions partners send: screened like every XML we take (no DOCTYPE, UTF-8 only), validated
 * against the message's own XSD (compiled once), then each booked entry read as a transaction. A
 * reversal entry (RvslInd) is a REVERSED row; pending and information entries are not rows.
 */
export class CamtReader {
  private constructor(
    private readonly lib: Libxml2,
    private readonly validators: ReadonlyMap<CamtSchema, LibValidator>,
    readonly maxBytes: number,
  ) {}

  static async create(options: { schemaDir?: string; maxBytes?: number } = {}): Promise<CamtReader> {
    const lib = await loadLibxml2();
    const dir = options.schemaDir ?? camtSchemaDir();
    const validators = new Map<CamtSchema, LibValidator>();
    for (const name of CAMT_SCHEMAS) {
      const file = path.join(dir, `${name}.xsd`);
      const xsd = lib.XmlDocument.fromBuffer(fs.readFileSync(file), { url: file, option: parseOptions(lib) });
      try {
        validators.set(name, lib.XsdValidator.fromDoc(xsd));
      } finally {
        xsd.dispose();
      }
    }
    return new CamtReader(lib, validators, options.maxBytes ?? CAMT_MAX_BYTES);
  }

  dispose(): void {
    for (const v of this.validators.values()) v.dispose();
  }

  /** Validates a document (when `schema` is given: that it is of that message type too). */
  validate(bytes: Uint8Array, schema?: CamtSchema): RowProblem[] {
    const parsed = this.parse(bytes);
    if (!parsed.ok) return [...parsed.problems];
    if (schema !== undefined && parsed.document.messageType !== schema) {
      return [{ line: 1, message: `a ${parsed.document.messageType}, not a ${schema}` }];
    }
    return [];
  }

  parse(bytes: Uint8Array): CamtParse {
    const refusal = screenHostileXml(bytes, this.maxBytes);
    if (refusal !== undefined) return { ok: false, problems: [{ line: 0, message: refusal.message }] };
    let doc: InstanceType<Libxml2['XmlDocument']>;
    try {
      doc = this.lib.XmlDocument.fromBuffer(bytes, { option: parseOptions(this.lib) });
    } catch (err) {
      if (!(err instanceof this.lib.XmlLibError)) throw err;
      const details = err.details.length > 0 ? err.details : [{ message: err.message, line: 0, col: 0 }];
      return {
        ok: false,
        problems: details.map((d) => ({ line: d.line, message: `not well-formed XML: ${d.message.trim()}` })),
      };
    }
    let schema: CamtSchema;
    try {
      const documentEl = this.documentElement(doc.root);
      if (documentEl === undefined) {
        return {
          ok: false,
          problems: [{ line: 1, message: 'no ISO 20022 Document (bare, or inside an envelope)' }],
        };
      }
      const definition = documentEl.namespaceUri.startsWith(NS)
        ? documentEl.namespaceUri.slice(NS.length)
        : '';
      if (!(CAMT_SCHEMAS as readonly string[]).includes(definition)) {
        return {
          ok: false,
          problems: [
            {
              line: documentEl.line,
              message: `${definition || documentEl.namespaceUri} is not a camt.053/camt.054 version read here (${CAMT_SCHEMAS.join(', ')})`,
            },
          ],
        };
      }
      schema = definition as CamtSchema;
      try {
        if (documentEl === doc.root) this.validators.get(schema)!.validate(doc);
        else this.validators.get(schema)!.validate(documentEl);
      } catch (err) {
        if (!(err instanceof this.lib.XmlValidateError)) throw err;
        return {
          ok: false,
          problems: err.details.map((d) => ({
            line: d.line,
            message: `${schema}: ${d.message
              .replace(/\{urn:[^}]*\}/g, '')
              .replace(/\s+/g, ' ')
              .trim()}`,
          })),
        };
      }
    } finally {
      doc.dispose();
    }
    const tree = scanTree(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
    const document = tree.name === 'Document' ? tree : tree.children.find((c) => c.name === 'Document');
    if (document === undefined) throw new Error('scanned tree lost the Document');
    return { ok: true, document: readCamt(document, schema) };
  }

  /** A SourceReader over a statement file, with the partner's layout saying which reference is which key. */
  readerFor(layout: CamtLayout): SourceReader {
    return {
      read: (file: string): AsyncIterable<readonly ReadItem[]> => this.items(file, layout),
    };
  }

  private async *items(file: string, layout: CamtLayout): AsyncIterable<readonly ReadItem[]> {
    const size = fs.statSync(file).size;
    if (size > this.maxBytes) {
      yield [
        {
          problem: {
            line: 0,
            message: `a camt statement is read whole; this one is over ${this.maxBytes} bytes`,
          },
        },
      ];
      return;
    }
    const parsed = this.parse(await fs.promises.readFile(file));
    if (!parsed.ok) {
      yield parsed.problems.map((problem) => ({ problem }));
      return;
    }
    const family = parsed.document.messageType.slice(0, 8);
    if (family !== layout.format) {
      yield [
        {
          problem: {
            line: 1,
            message: `the layout expects a ${layout.format}, the file is a ${parsed.document.messageType}`,
          },
        },
      ];
      return;
    }
    yield parsed.document.entries
      .filter((e) => layout.entries === 'both' || e.creditDebit === layout.entries)
      .map((e) => rowOf(e, layout));
  }

  private documentElement(root: LibElement): LibElement | undefined {
    if (root.name === 'Document') return root;
    for (let c = root.firstChild; c !== null; c = c.next) {
      if (c instanceof this.lib.XmlElement && c.name === 'Document') return c;
    }
    return undefined;
  }
}

function dateOf(node: XmlNode | undefined): string | undefined {
  const d = textAt(node, 'Dt') ?? textAt(node, 'DtTm');
  return d === undefined ? undefined : d.slice(0, 10);
}

function refsOf(...nodes: (XmlNode | undefined)[]): Partial<Record<Ref, string>> {
  const out: Partial<Record<Ref, string>> = {};
  for (const n of nodes) {
    for (const r of REFS) {
      const v = textAt(n, r)?.trim();
      if (v !== undefined && v !== '' && v !== 'NOTPROVIDED' && out[r] === undefined) out[r] = v;
    }
  }
  return out;
}

/** Every booked entry of every statement (or notification) of the document. */
export function readCamt(document: XmlNode, schema: CamtSchema): CamtDocument {
  const isStatement = schema.startsWith('camt.053');
  const root = child(document, isStatement ? 'BkToCstmrStmt' : 'BkToCstmrDbtCdtNtfctn');
  const reports = childrenNamed(root, isStatement ? 'Stmt' : 'Ntfctn');
  const entries: CamtEntry[] = [];
  let skipped = 0;
  const createdOn = textAt(child(root, 'GrpHdr'), 'CreDtTm')?.slice(0, 10);
  for (const report of reports) {
    const reportDate = textAt(report, 'CreDtTm')?.slice(0, 10) ?? createdOn;
    for (const ntry of childrenNamed(report, 'Ntry')) {
      const sts = child(ntry, 'Sts');
      const status = (child(sts, 'Cd')?.text ?? sts?.text ?? '').trim();
      if (status !== 'BOOK') {
        skipped += 1;
        continue;
      }
      const amt = child(ntry, 'Amt');
      const indicator: 'CRDT' | 'DBIT' = textAt(ntry, 'CdtDbtInd') === 'DBIT' ? 'DBIT' : 'CRDT';
      const base = {
        creditDebit: indicator,
        reversal: textAt(ntry, 'RvslInd') === 'true',
        status,
        bookingDate: dateOf(child(ntry, 'BookgDt')),
        valueDate: dateOf(child(ntry, 'ValDt')),
        reportDate,
      };
      const txs = childrenNamed(ntry, 'NtryDtls').flatMap((d) => childrenNamed(d, 'TxDtls'));
      const entryRefs = {
        ...(textAt(ntry, 'AcctSvcrRef') !== undefined ? { AcctSvcrRef: textAt(ntry, 'AcctSvcrRef')! } : {}),
      };
      if (txs.length <= 1) {
        entries.push({
          line: ntry.line,
          amount: amt?.text.trim() ?? '',
          currency: amt?.attrs.Ccy ?? '',
          ...base,
          refs: { ...entryRefs, ...refsOf(child(txs[0], 'Refs')) },
        });
        continue;
      }
      // A batch entry: one row per transaction, each with its own amount where the bank gives one.
      for (const tx of txs) {
        const txAmt = child(child(child(tx, 'AmtDtls'), 'TxAmt'), 'Amt') ?? child(tx, 'Amt');
        entries.push({
          line: tx.line,
          amount: (txAmt ?? amt)?.text.trim() ?? '',
          currency: (txAmt ?? amt)?.attrs.Ccy ?? '',
          ...base,
          creditDebit:
            textAt(tx, 'CdtDbtInd') === 'DBIT'
              ? 'DBIT'
              : textAt(tx, 'CdtDbtInd') === 'CRDT'
                ? 'CRDT'
                : base.creditDebit,
          refs: { ...entryRefs, ...refsOf(child(tx, 'Refs')) },
        });
      }
    }
  }
  const messageId = textAt(child(root, 'GrpHdr'), 'MsgId');
  return { messageType: schema, messageId, entries, skipped };
}

/** A statement entry as a SourceRow, or what is wrong with it. */
export function rowOf(e: CamtEntry, layout: CamtLayout): ReadItem {
  const problems: string[] = [];
  const currency = currencyByCode(e.currency);
  if (currency === undefined) problems.push(`Amt Ccy "${e.currency}" is not an ISO 4217 code we know`);
  const m = /^(\d{1,18})(?:\.(\d{1,18}))?$/.exec(e.amount);
  let minor: bigint | undefined;
  if (m === null) problems.push(`Amt "${e.amount}" is not a decimal amount`);
  else if (currency !== undefined) {
    const fraction = (m[2] ?? '').replace(/0+$/, '');
    if (fraction.length > currency.minorDigits)
      problems.push(`Amt "${e.amount}" has more than ${currency.minorDigits} decimals`);
    else minor = BigInt((m[1] ?? '0') + fraction.padEnd(currency.minorDigits, '0'));
    if (minor !== undefined && minor <= 0n) problems.push(`Amt "${e.amount}" is not positive`);
  }
  const key = (which: 'paymentId' | 'partnerReference' | 'billerReceipt'): string | null => {
    const ref = layout.references[which];
    return ref === undefined ? null : (e.refs[ref] ?? null);
  };
  const given = key('paymentId');
  // Our ids travel in Max35Text fields without their hyphens (see camt053-statement.ts).
  const paymentId =
    given !== null && /^[0-9a-f]{32}$/i.test(given)
      ? `${given.slice(0, 8)}-${given.slice(8, 12)}-${given.slice(12, 16)}-${given.slice(16, 20)}-${given.slice(20)}`
      : given;
  if (paymentId !== null && !UUID.test(paymentId)) {
    problems.push(`${layout.references.paymentId} "${paymentId}" (our payment id) is not a UUID`);
  }
  const partnerReference = key('partnerReference');
  const billerReceipt = key('billerReceipt');
  if (paymentId === null && partnerReference === null && billerReceipt === null) {
    const named = Object.entries(layout.references)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    problems.push(`the entry carries none of the layout's references (${named})`);
  }
  const valueDate = e.valueDate ?? e.bookingDate ?? e.reportDate;
  if (valueDate === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(valueDate))
    problems.push('no ValDt, BookgDt or CreDtTm');
  if (problems.length > 0 || minor === undefined || valueDate === undefined) {
    return { problem: { line: e.line, message: problems.join('; ') } };
  }
  const row: SourceRow = {
    line: e.line,
    paymentId: paymentId?.toLowerCase() ?? null,
    partnerReference,
    billerReceipt,
    amountMinor: minor,
    currency: e.currency,
    status: e.reversal ? 'REVERSED' : 'OK',
    valueDate,
  };
  return { row };
}
