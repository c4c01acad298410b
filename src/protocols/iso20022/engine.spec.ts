import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Iso20022Engine } from './engine';
import { resolveSchemaDir } from './schema-dir';
import { extractIdsTolerant } from './tolerant';

const FIXTURES = path.join(__dirname, 'fixtures');
const pacs008 = fs.readFileSync(path.join(FIXTURES, 'pacs008-bill-payments.xml'), 'utf8');
const bareDocument = pacs008.slice(
  pacs008.indexOf('<Document'),
  pacs008.indexOf('</Document>') + '</Document>'.length,
);
const appHdr = pacs008.slice(pacs008.indexOf('<AppHdr'), pacs008.indexOf('</AppHdr>') + '</AppHdr>'.length);

let engine: Iso20022Engine;
beforeAll(async () => {
  engine = await Iso20022Engine.create();
});
afterAll(() => engine.dispose());

describe('envelope handling', () => {
  it('accepts a bare Document, and any wrapper holding [AppHdr,] Document', () => {
    expect(engine.receive(bareDocument)).toMatchObject({
      ok: true,
      message: { messageType: 'pacs.008.001.08' },
    });
    const r = engine.receive(
      `<BizMsgEnvlp xmlns="urn:example:wrapper">${appHdr}${bareDocument}</BizMsgEnvlp>`,
    );
    expect(r).toMatchObject({
      ok: true,
      message: {
        envelope: { name: 'BizMsgEnvlp', namespace: 'urn:example:wrapper' },
        appHdr: { msgDefIdr: 'pacs.008.001.08' },
      },
    });
    expect(engine.receive(`<Wrapper>${bareDocument}</Wrapper>`)).toMatchObject({ ok: true });
  });

  it('refuses a wrapper with anything else in it, or an AppHdr alone', () => {
    expect(engine.receive(`<Envelope>${bareDocument}${appHdr}</Envelope>`)).toMatchObject({
      ok: false,
      failure: { kind: 'envelope', message: expect.stringContaining('found: Document, AppHdr') },
    });
    expect(engine.receive(appHdr)).toMatchObject({ ok: false, failure: { kind: 'envelope' } });
    expect(engine.receive('<Envelope/>')).toMatchObject({ ok: false, failure: { kind: 'envelope' } });
  });

  it('an AppHdr of another version is named as unsupported', () => {
    const v4 = appHdr.replace('head.001.001.02', 'head.001.001.04');
    expect(engine.receive(`<Envelope>${v4}${bareDocument}</Envelope>`)).toMatchObject({
      ok: false,
      failure: {
        kind: 'unsupported',
        message: 'AppHdr head.001.001.04 is not supported (only head.001.001.02)',
      },
    });
  });

  it('an invalid AppHdr is reported with its line, beside Document errors', () => {
    const badHdr = pacs008.replace('<BizMsgIdr>PRTN-20260514-0001</BizMsgIdr>', '<BizMsgIdr></BizMsgIdr>');
    const r = engine.receive(badHdr);
    if (r.ok || r.failure.kind !== 'schema-invalid') throw new Error('expected schema-invalid');
    expect(r.failure.errors).toEqual([
      { message: expect.stringMatching(/^Element 'BizMsgIdr': \[facet 'minLength'\]/), line: 19 },
    ]);
    expect(r.failure.appHdr).toBeUndefined();
    expect(r.failure.msgId).toBe('PRTN-20260514-0001');
  });
});

describe('engine lifecycle', () => {
  it('is reusable and keeps working across many messages (documents are disposed)', () => {
    for (let i = 0; i < 200; i += 1) expect(engine.receive(pacs008).ok).toBe(true);
  });

  it('cannot be used after dispose()', async () => {
    const e = await Iso20022Engine.create();
    e.dispose();
    e.dispose();
    expect(() => e.receive(pacs008)).toThrow(/after dispose/);
  });
});

describe('schema folder resolution', () => {
  it('finds the schemas from src, from another working directory, and from an explicit folder', () => {
    const dir = resolveSchemaDir();
    expect(fs.existsSync(path.join(dir, 'pacs.008.001.08.xsd'))).toBe(true);
    const cwd = process.cwd();
    try {
      process.chdir(os.tmpdir());
      expect(resolveSchemaDir()).toBe(dir);
    } finally {
      process.chdir(cwd);
    }
    expect(resolveSchemaDir(dir)).toBe(dir);
    expect(() => resolveSchemaDir(os.tmpdir())).toThrow(/does not contain/);
  });

  it('carries the XSDs and code sets unmodified: each file hashes to the SHA-256 its PROVENANCE.md records', () => {
    const dir = resolveSchemaDir();
    // The table rows of PROVENANCE.md: | file | sha256 | why |, recorded from the official publications.
    const recorded = new Map(
      [
        ...fs
          .readFileSync(path.join(dir, 'PROVENANCE.md'), 'utf8')
          .matchAll(/^\| (\S+\.(?:xsd|json)) \| ([0-9a-f]{64}) \|/gm),
      ].map((m) => [m[1], m[2]]),
    );
    const carried = fs.readdirSync(dir).filter((n) => n.endsWith('.xsd') || n.endsWith('.json'));
    expect(carried.length).toBeGreaterThan(0);
    expect([...recorded.keys()].sort()).toEqual([...carried].sort());
    for (const f of carried) {
      const digest = crypto
        .createHash('sha256')
        .update(fs.readFileSync(path.join(dir, f)))
        .digest('hex');
      expect([f, digest]).toEqual([f, recorded.get(f)]);
    }
  });
});

describe('tolerant id extraction (for rejections of invalid documents)', () => {
  it('reads the namespace and MsgId even when the XML does not parse', () => {
    expect(extractIdsTolerant(`${bareDocument.slice(0, 400)}<unclosed>`)).toEqual({
      messageDefinition: 'pacs.008.001.08',
      msgId: 'PRTN-20260514-0001',
    });
    expect(
      extractIdsTolerant(
        '<p:Document xmlns:p="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><p:CstmrCdtTrfInitn><p:GrpHdr><p:MsgId>A&amp;B</p:MsgId>',
      ),
    ).toEqual({
      messageDefinition: 'pain.001.001.09',
      msgId: 'A&B',
    });
  });

  it('gives no MsgId that could not be echoed as Max35Text', () => {
    expect(
      extractIdsTolerant('<Document><GrpHdr><MsgId>7e2599df-80a1-4f6e-b381-99536c4d2691</MsgId>').msgId,
    ).toBeUndefined();
    expect(extractIdsTolerant('<Document><GrpHdr><MsgId>   </MsgId>').msgId).toBeUndefined();
    expect(extractIdsTolerant('nothing here')).toEqual({});
  });
});
