import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  checkCamt056,
  checkPacs004,
  checkPacs008,
  checkPain001,
  type BusinessProblem,
  type CheckResult,
} from './business-checks';
import { loadCodeSets, type CodeSets } from './code-sets';
import { DEFAULT_MAX_BYTES, screenHostileXml, toBytes, type RefusalReason } from './hostile-guard';
import { loadLibxml2, type Libxml2 } from './libxml2-loader';
import {
  APP_HDR_TYPE,
  isDocumentType,
  messageDefinitionOf,
  namespaceOf,
  SCHEMA_NAMES,
  type DocumentType,
  type SchemaName,
} from './message-types';
import { readAppHdr, type AppHdr } from './readers/app-hdr';
import { readPacs008, readPain001, type Pacs008, type Pain001 } from './readers/credit-transfer';
import { readCamt056, readPacs004, type Camt056, type Pacs004 } from './readers/return-and-cancellation';
import { readStatusReport, type StatusReport } from './readers/status-report';
import { resolveSchemaDir } from './schema-dir';
import { extractIdsTolerant, msgIdFromTree } from './tolerant';
import { scanTree } from './xml-scan';
import type { XmlNode } from './xml-tree';

type LibDocument = InstanceType<Libxml2['XmlDocument']>;
type LibElement = InstanceType<Libxml2['XmlElement']>;
type LibValidator = InstanceType<Libxml2['XsdValidator']>;

/** A parser or schema diagnostic, namespace noise removed, with where it was found. */
export interface XmlProblem {
  readonly message: string;
  readonly line: number;
  readonly column?: number;
}

export type TypedDocument = Pacs008 | Pain001 | Pacs004 | Camt056 | StatusReport;

/** The wrapper element around AppHdr + Document (CBPR+: urn:swift:xsd:envelope Envelope). */
export interface EnvelopeInfo {
  readonly name: string;
  readonly namespace: string;
}

export interface ReceivedMessage {
  readonly messageType: DocumentType;
  readonly document: TypedDocument;
  readonly appHdr?: AppHdr;
  readonly envelope?: EnvelopeInfo;
  readonly problems: CheckResult;
}

/**
 * Why a body was not accepted. `refused`: hostile or oversized, never parsed (HTTP 413/400).
 * `malformed`: not well-formed XML. `unsupported`: not a message type or AppHdr version carried here.
 * `envelope`: the wrapper around AppHdr/Document is wrong. `schema-invalid`: fails its XSD; the ids are
 * what a rejection (pacs.002 / pain.002 RJCT FF01) can be addressed with.
 */
export type ReceiveFailure =
  | { readonly kind: 'refused'; readonly reason: RefusalReason; readonly message: string }
  | {
      readonly kind: 'malformed';
      readonly errors: readonly XmlProblem[];
      readonly messageDefinition?: string;
      readonly msgId?: string;
    }
  | { readonly kind: 'unsupported'; readonly message: string; readonly messageDefinition?: string }
  | { readonly kind: 'envelope'; readonly message: string }
  | {
      readonly kind: 'schema-invalid';
      readonly messageType: DocumentType;
      readonly errors: readonly XmlProblem[];
      readonly msgId?: string;
      /** Present when the AppHdr itself was valid, so an answer can carry one. */
      readonly appHdr?: AppHdr;
      readonly envelope?: EnvelopeInfo;
    };

export type ReceiveResult =
  | { readonly ok: true; readonly message: ReceivedMessage }
  | { readonly ok: false; readonly failure: ReceiveFailure };

export interface Iso20022Options {
  /** Folder with the XSDs and code sets; found automatically when omitted (see schema-dir.ts). */
  readonly schemaDir?: string;
  /** Body cap in bytes, checked before parsing. Default 1 MiB. */
  readonly maxBytes?: number;
}

/**
 * Parses, validates and reads ISO 20022 messages. Create once (it loads libxml2-wasm and compiles every
 * XSD a single time, ~0.2 s) and share; receive() is synchronous and keeps no native memory between
 * calls.
 */
export class Iso20022Engine {
  private disposed = false;

  private constructor(
    private readonly lib: Libxml2,
    private readonly validators: ReadonlyMap<SchemaName, LibValidator>,
    readonly codeSets: CodeSets,
    readonly maxBytes: number,
    readonly schemaDir: string,
  ) {}

  static async create(options: Iso20022Options = {}): Promise<Iso20022Engine> {
    const lib = await loadLibxml2();
    const schemaDir = resolveSchemaDir(options.schemaDir);
    const validators = new Map<SchemaName, LibValidator>();
    try {
      for (const name of SCHEMA_NAMES) {
        const file = path.join(schemaDir, `${name}.xsd`);
        const xsd = lib.XmlDocument.fromBuffer(fs.readFileSync(file), {
          url: file,
          option: parseOptions(lib),
        });
        try {
          validators.set(name, lib.XsdValidator.fromDoc(xsd));
        } finally {
          xsd.dispose();
        }
      }
    } catch (err) {
      for (const v of validators.values()) v.dispose();
      throw err;
    }
    return new Iso20022Engine(
      lib,
      validators,
      loadCodeSets(schemaDir),
      options.maxBytes ?? DEFAULT_MAX_BYTES,
      schemaDir,
    );
  }

  /** Releases the compiled schemas; the engine cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.validators.values()) v.dispose();
  }

  receive(body: Uint8Array | string, options: { readonly maxBytes?: number } = {}): ReceiveResult {
    if (this.disposed) throw new Error('Iso20022Engine used after dispose()');
    const maxBytes = options.maxBytes ?? this.maxBytes;
    const input = toBytes(body, maxBytes);
    if ('refusal' in input) return fail({ kind: 'refused', ...input.refusal });
    const { bytes } = input;
    const refusal = screenHostileXml(bytes, maxBytes);
    if (refusal !== undefined) return fail({ kind: 'refused', ...refusal });

    let doc: LibDocument;
    try {
      doc = this.lib.XmlDocument.fromBuffer(bytes, { option: parseOptions(this.lib) });
    } catch (err) {
      if (!(err instanceof this.lib.XmlLibError)) throw err;
      return fail({
        kind: 'malformed',
        errors: toProblems(err.details, err.message),
        ...extractIdsTolerant(bytes),
      });
    }
    try {
      return this.validateAndRead(doc, bytes);
    } finally {
      doc.dispose();
    }
  }

  private validateAndRead(doc: LibDocument, bytes: Uint8Array): ReceiveResult {
    const parts = locateParts(this.lib, doc.root);
    if ('failure' in parts) return fail(parts.failure);
    const { documentEl, appHdrEl, envelope } = parts;

    const definition = messageDefinitionOf(documentEl.namespaceUri);
    if (definition === undefined) {
      return fail({
        kind: 'unsupported',
        message: `Document is not in an ISO 20022 namespace (namespace: "${documentEl.namespaceUri}")`,
      });
    }
    if (!isDocumentType(definition)) {
      return fail({
        kind: 'unsupported',
        message: `${definition} is not supported`,
        messageDefinition: definition,
      });
    }
    if (appHdrEl !== undefined && appHdrEl.namespaceUri !== namespaceOf(APP_HDR_TYPE)) {
      const v = messageDefinitionOf(appHdrEl.namespaceUri) ?? appHdrEl.namespaceUri;
      return fail({
        kind: 'unsupported',
        message: `AppHdr ${v} is not supported (only ${APP_HDR_TYPE})`,
        messageDefinition: definition,
      });
    }

    const hdrErrors = appHdrEl === undefined ? [] : this.validate(APP_HDR_TYPE, appHdrEl);
    const docErrors = this.validate(definition, envelope === undefined ? doc : documentEl);
    // Same element structure as libxml2's tree (see xml-scan.ts), read without a WASM call per node.
    const tree = scanTree(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
    const documentTree = envelope === undefined ? tree : tree.children[appHdrEl === undefined ? 0 : 1];
    const appHdrTree = appHdrEl === undefined ? undefined : tree.children[0];
    if (documentTree?.name !== 'Document' || (appHdrEl !== undefined && appHdrTree?.name !== 'AppHdr')) {
      throw new Error('scanned tree does not match the parsed document');
    }

    if (hdrErrors.length > 0 || docErrors.length > 0) {
      const msgId = msgIdFromTree(documentTree);
      return fail({
        kind: 'schema-invalid',
        messageType: definition,
        errors: [...hdrErrors, ...docErrors].sort((a, b) => a.line - b.line),
        ...(msgId === undefined ? {} : { msgId }),
        ...(appHdrTree !== undefined && hdrErrors.length === 0 ? { appHdr: readAppHdr(appHdrTree) } : {}),
        ...(envelope === undefined ? {} : { envelope }),
      });
    }

    const appHdr = appHdrTree === undefined ? undefined : readAppHdr(appHdrTree);
    const { document, problems } = this.read(definition, documentTree);
    const headerProblems: BusinessProblem[] =
      appHdr !== undefined && appHdr.msgDefIdr !== definition
        ? [
            {
              code: 'APPHDR_MISMATCH',
              reason: 'FF01',
              message: `AppHdr MsgDefIdr ${appHdr.msgDefIdr} does not match the Document (${definition})`,
              line: appHdr.line,
            },
          ]
        : [];
    return {
      ok: true,
      message: {
        messageType: definition,
        document,
        ...(appHdr === undefined ? {} : { appHdr }),
        ...(envelope === undefined ? {} : { envelope }),
        problems: { group: [...headerProblems, ...problems.group], transactions: problems.transactions },
      },
    };
  }

  private validate(schema: SchemaName, target: LibDocument | LibElement): XmlProblem[] {
    const validator = this.validators.get(schema);
    if (validator === undefined) throw new Error(`no compiled schema for ${schema}`);
    try {
      // The overloads differ only in the argument type; both are accepted at run time.
      if (target instanceof this.lib.XmlDocument) validator.validate(target);
      else validator.validate(target);
      return [];
    } catch (err) {
      if (err instanceof this.lib.XmlValidateError) return toProblems(err.details, err.message);
      throw err;
    }
  }

  private read(type: DocumentType, tree: XmlNode): { document: TypedDocument; problems: CheckResult } {
    switch (type) {
      case 'pacs.008.001.08': {
        const document = readPacs008(tree);
        return { document, problems: checkPacs008(document) };
      }
      case 'pain.001.001.09':
      case 'pain.001.001.03': {
        const document = readPain001(tree, type);
        return { document, problems: checkPain001(document) };
      }
      case 'pacs.004.001.09': {
        const document = readPacs004(tree);
        return { document, problems: checkPacs004(document, this.codeSets) };
      }
      case 'camt.056.001.08': {
        const document = readCamt056(tree);
        return { document, problems: checkCamt056(document, this.codeSets) };
      }
      case 'pacs.002.001.10':
      case 'pain.002.001.10':
      case 'pain.002.001.03': {
        const document = readStatusReport(tree, type);
        return { document, problems: { group: [], transactions: document.transactions.map(() => []) } };
      }
    }
  }
}

/**
 * No network, no external entities, no DTD loading or entity substitution (NOENT, DTDLOAD, HUGE are
 * deliberately absent, so libxml2's depth, size and amplification limits stay on as a second line
 * behind the byte screen). CDATA is read as text; UTF-8 is forced whatever the declaration says.
 */
export function parseOptions(lib: Libxml2): number {
  const o = lib.ParseOption;
  return (
    o.XML_PARSE_NONET |
    o.XML_PARSE_NO_XXE |
    o.XML_PARSE_NOCDATA |
    o.XML_PARSE_IGNORE_ENC |
    o.XML_PARSE_BIG_LINES
  );
}

function fail(failure: ReceiveFailure): ReceiveResult {
  return { ok: false, failure };
}

const NS_NOISE = /\{urn:[^}]*\}/g;

function toProblems(
  details: readonly { message: string; line: number; col: number }[],
  fallback: string,
): XmlProblem[] {
  if (details.length === 0) return [{ message: clean(fallback), line: 0 }];
  return details.map((d) => ({
    message: clean(d.message),
    line: d.line,
    ...(d.col > 0 ? { column: d.col } : {}),
  }));
}

function clean(message: string): string {
  return message.replace(NS_NOISE, '').replace(/\s+/g, ' ').trim();
}

type Parts =
  { documentEl: LibElement; appHdrEl?: LibElement; envelope?: EnvelopeInfo } | { failure: ReceiveFailure };

/** A bare Document, or a wrapper holding an optional AppHdr followed by one Document. */
function locateParts(lib: Libxml2, root: LibElement): Parts {
  if (root.name === 'Document') return { documentEl: root };
  if (root.name === 'AppHdr') {
    return { failure: { kind: 'envelope', message: 'AppHdr without a Document: wrap both in one element' } };
  }
  // The element children through XPath: libxml2-wasm's sibling walk (firstChild/next) dies at a
  // processing instruction, whose node has no `next` (found by `npm run fuzz`, see the corpus).
  const kids = root.find('*').filter((c): c is LibElement => c instanceof lib.XmlElement);
  const names = kids.map((k) => k.name).join(', ');
  const envelope = { name: root.name, namespace: root.namespaceUri };
  const [first, second] = kids;
  if (kids.length === 1 && first?.name === 'Document') return { documentEl: first, envelope };
  if (kids.length === 2 && first?.name === 'AppHdr' && second?.name === 'Document') {
    return { documentEl: second, appHdrEl: first, envelope };
  }
  return {
    failure: {
      kind: 'envelope',
      message: `<${root.name}> must hold an optional AppHdr followed by one Document (found: ${names || 'nothing'})`,
    },
  };
}
