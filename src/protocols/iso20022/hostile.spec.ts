import { Iso20022Engine, parseOptions, type ReceiveResult } from './engine';
import { screenHostileXml } from './hostile-guard';
import { loadLibxml2, type Libxml2 } from './libxml2-loader';

const NS = 'urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08';

const xxe = `<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Document xmlns="${NS}"><FIToFICstmrCdtTrf><GrpHdr><MsgId>&x;</MsgId></GrpHdr></FIToFICstmrCdtTrf></Document>`;

function billionLaughs(): string {
  let decl = '<!ENTITY lol0 "lol">';
  for (let i = 1; i <= 9; i += 1) decl += `<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`;
  return `<?xml version="1.0"?><!DOCTYPE Document [${decl}]><Document xmlns="${NS}">&lol9;</Document>`;
}

const bigEntity = (): string =>
  `<!DOCTYPE Document [<!ENTITY e "${'x'.repeat(100 * 1024)}">]><Document xmlns="${NS}">${'&e;'.repeat(50_000)}</Document>`;

const deepNesting = (): string => '<a>'.repeat(100_000) + '</a>'.repeat(100_000);
const hugeAttribute = (): string => `<Document xmlns="${NS}" a="${'y'.repeat(50 * 1024 * 1024)}"/>`;

let engine: Iso20022Engine;
let lib: Libxml2;
beforeAll(async () => {
  engine = await Iso20022Engine.create();
  lib = await loadLibxml2();
});
afterAll(() => engine.dispose());

function timed(run: () => ReceiveResult): { result: ReceiveResult; ms: number } {
  const t0 = performance.now();
  const result = run();
  return { result, ms: performance.now() - t0 };
}

/** libxml2 on its own, the DOCTYPE screen bypassed on purpose: the second line of defence. */
function parseUnscreened(xml: string): { content?: string; error?: string } {
  try {
    const doc = lib.XmlDocument.fromString(xml, { option: parseOptions(lib) });
    try {
      return { content: doc.root.content };
    } finally {
      doc.dispose();
    }
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

function expectNoFileContents(result: ReceiveResult): void {
  const text = JSON.stringify(result);
  expect(text).not.toMatch(/root:|\/bin\/(ba)?sh|daemon:/);
}

describe('hostile XML is refused before parsing, quickly, with a clear error', () => {
  it.each([
    ['external entity (file:///etc/passwd)', xxe],
    ['billion laughs', billionLaughs()],
    ['a 100 KB entity used 50k times', bigEntity()],
  ])('%s: DOCTYPE refused', (_name, body) => {
    const { result, ms } = timed(() => engine.receive(body));
    expect(result).toEqual({
      ok: false,
      failure: {
        kind: 'refused',
        reason: 'doctype',
        message: 'DOCTYPE and ENTITY declarations are not accepted',
      },
    });
    expectNoFileContents(result);
    expect(ms).toBeLessThan(1000);
  });

  it('nesting 100k deep: stopped by libxml2 depth limit (256) as not well-formed', () => {
    const { result, ms } = timed(() => engine.receive(deepNesting()));
    if (result.ok || result.failure.kind !== 'malformed')
      throw new Error(JSON.stringify(result).slice(0, 300));
    expect(result.failure.errors[0]?.message).toMatch(/Excessive depth in document: 256/);
    expect(ms).toBeLessThan(1000);
  });

  it.each([
    ['as a string', hugeAttribute],
    ['as bytes', (): Buffer => Buffer.from(hugeAttribute())],
  ])('one 50 MB attribute (%s): refused by the body cap', (_name, make) => {
    const body = make();
    const { result, ms } = timed(() => engine.receive(body));
    expect(result).toEqual({
      ok: false,
      failure: { kind: 'refused', reason: 'too-large', message: 'The body exceeds the 1048576-byte limit' },
    });
    expect(ms).toBeLessThan(1000);
  });

  it('an oversized body of otherwise plain XML is refused; the cap is configurable per call', () => {
    const body = `<Document xmlns="${NS}">${'<x>1</x>'.repeat(200_000)}</Document>`;
    expect(engine.receive(body)).toMatchObject({
      ok: false,
      failure: { kind: 'refused', reason: 'too-large' },
    });
    expect(engine.receive('<Document/>', { maxBytes: 5 })).toMatchObject({
      ok: false,
      failure: { reason: 'too-large', message: 'The body exceeds the 5-byte limit' },
    });
  });

  it('UTF-16 (which would hide "<!DOCTYPE" from a byte scan) and declared non-UTF-8 encodings are refused', () => {
    const utf16 = Buffer.from(`\ufeff${xxe}`, 'utf16le');
    expect(engine.receive(utf16)).toMatchObject({ ok: false, failure: { reason: 'not-utf8' } });
    const latin1 = `<?xml version="1.0" encoding="ISO-8859-1"?><Document xmlns="${NS}"/>`;
    expect(engine.receive(latin1)).toMatchObject({ ok: false, failure: { reason: 'not-utf8' } });
    expect(screenHostileXml(Buffer.from('\ufeff<?xml version="1.0" encoding="utf-8"?><a/>'))).toBeUndefined();
  });

  it('empty bodies and non-XML are refused or reported as not well-formed, never thrown', () => {
    expect(engine.receive('')).toMatchObject({ ok: false, failure: { kind: 'refused', reason: 'empty' } });
    expect(engine.receive('hello')).toMatchObject({
      ok: false,
      failure: { kind: 'refused', reason: 'not-utf8' },
    });
    expect(engine.receive('<a><b></a>')).toMatchObject({ ok: false, failure: { kind: 'malformed' } });
  });
});

describe('memory stays bounded under the whole hostile corpus', () => {
  it('repeating every attack, even past the DOCTYPE screen, grows resident memory by far less than one expansion would need', () => {
    // An attribute just under the body cap reaches libxml2 (it is well-formed); it must be answered
    // without the parser keeping copies of it.
    const nearCap = `<Document xmlns="${NS}" a="${'y'.repeat(900 * 1024)}"/>`;
    const attacks = [xxe, billionLaughs(), bigEntity(), deepNesting(), nearCap];
    const before = process.memoryUsage().rss;
    for (let round = 0; round < 10; round += 1) {
      for (const body of attacks) {
        const { result, ms } = timed(() => engine.receive(body));
        expect(result.ok).toBe(false);
        expect(ms).toBeLessThan(1000);
      }
      for (const body of [billionLaughs(), bigEntity()]) {
        expect(parseUnscreened(body).error).toMatch(/amplification/);
      }
    }
    // The billion laughs alone would expand to ~3 GB and the big entity to ~5 GB.
    const grownMb = (process.memoryUsage().rss - before) / (1024 * 1024);
    expect(grownMb).toBeLessThan(128);
  });
});

describe("libxml2's own limits hold as a second line (DOCTYPE screen bypassed on purpose)", () => {
  it('external entities are not loaded', () => {
    const r = parseUnscreened(xxe);
    expect(r.error ?? r.content).not.toMatch(/root:/);
    if (r.content !== undefined) expect(r.content).toBe('');
  });

  it('entity amplification is stopped', () => {
    expect(parseUnscreened(billionLaughs()).error).toMatch(/amplification/);
    expect(parseUnscreened(bigEntity()).error).toMatch(/amplification/);
  });

  it('depth is limited', () => {
    expect(parseUnscreened(deepNesting()).error).toMatch(/depth/);
  });
});
