import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { parseOptions } from './engine';
import { loadLibxml2, type Libxml2 } from './libxml2-loader';
import { scanTree } from './xml-scan';
import { copyTree, type XmlNode } from './xml-tree';

const FIXTURES = path.join(__dirname, 'fixtures');
const SAMPLES = path.resolve(__dirname, '../../../test/fixtures/iso20022/samples');

let lib: Libxml2;
beforeAll(async () => {
  lib = await loadLibxml2();
});

/** libxml2's view of the same text, through its node wrappers (the reference). */
function reference(text: string): XmlNode {
  const doc = lib.XmlDocument.fromString(text, { option: parseOptions(lib) });
  try {
    return copyTree(lib, doc.root);
  } finally {
    doc.dispose();
  }
}

const xmlFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.xml'))
    .map((f) => path.join(dir, f));

describe('scanTree reads exactly what libxml2 parsed', () => {
  it.each(
    [...xmlFiles(FIXTURES), ...xmlFiles(SAMPLES)].map((f) => [path.relative(path.dirname(FIXTURES), f), f]),
  )('%s', (_name, file) => {
    const text = fs.readFileSync(file, 'utf8');
    expect(scanTree(text)).toEqual(reference(text));
  });

  it.each([
    ['CRLF and lone CR line ends', '<a>\r\n<b>x\r\ny\rz</b>\r\n</a>'],
    ['multi-line start tags', '<a\n  x="1"\n  y="2"\n><b\n/>\n<c>t</c></a>'],
    ['attribute normalisation', `<a v="t\tn\nr\r&#10;&#9;&amp;&quot;&lt;" w='it&apos;s "q"'/>`],
    ['CDATA and comments inside text', '<a>one<!-- c -->two<![CDATA[<&>\r\n]]>three</a>'],
    ['character references, astral too', '<a>&#65;&#x42;&#x1F600;&#233;</a>'],
    [
      'prefixes and default namespace changes',
      '<p:a xmlns:p="urn:p" xmlns="urn:d"><b/><p:c xmlns:p="urn:q"><p:d/></p:c><e xmlns=""/></p:a>',
    ],
    [
      'BOM, declaration, comments around the root',
      '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<!-- x -->\n<a>1</a>\n<!-- y -->\n',
    ],
    ['whitespace inside tags', '<a  x = "1"  ><b   /></a   >'],
  ])('%s', (_name, text) => {
    expect(scanTree(text)).toEqual(reference(text));
  });

  it('skips processing instructions inside elements (libxml2-wasm cannot walk past one: no reference)', () => {
    expect(scanTree('<a>one<?pi x?>two<b/></a>')).toEqual({
      name: 'a',
      ns: '',
      line: 1,
      attrs: {},
      text: 'onetwo',
      children: [{ name: 'b', ns: '', line: 1, attrs: {}, text: '', children: [] }],
    });
  });

  it('random well-formed documents with random formatting', () => {
    const name = fc.constantFrom('A', 'Bb', 'p:C', 'p:D', 'Ee');
    const textPiece = fc.constantFrom(
      'x',
      ' ',
      '\n',
      '\r\n',
      '\t',
      '&amp;',
      '&lt;',
      '&gt;',
      '&#233;',
      '&#x1F600;',
      '<![CDATA[<&]]>',
      '<!--c-->',
      '"',
      "'",
      'é',
    );
    const text = fc.array(textPiece, { maxLength: 6 }).map((a) => a.join(''));
    const attr = fc
      .tuple(
        fc.constantFrom('Ccy', 'v', 'q:w'),
        fc.array(fc.constantFrom('a', ' ', '\t', '\n', '&amp;', '&#10;', '&quot;'), { maxLength: 5 }),
      )
      .map(([n, v]) => ` ${n}="${v.join('')}"`);
    const element: fc.Memo<string> = fc.memo((depth) =>
      fc
        .tuple(
          name,
          fc.uniqueArray(attr, { maxLength: 2, selector: (a) => a.split('=')[0] }),
          depth <= 1
            ? fc.constant([] as string[])
            : fc.array(fc.oneof(text, element(depth - 1)), { maxLength: 4 }),
          fc.constantFrom('', '\n  ', ' '),
        )
        .map(([n, attrs, kids, pad]) =>
          kids.length === 0
            ? `<${n}${attrs.join('')}${pad}/>`
            : `<${n}${attrs.join('')}${pad}>${kids.join('')}</${n}>`,
        ),
    );
    fc.assert(
      fc.property(element(4), (root) => {
        const doc = `<R xmlns="urn:d" xmlns:p="urn:p" xmlns:q="urn:q">${root}</R>`;
        expect(scanTree(doc)).toEqual(reference(doc));
      }),
      { numRuns: 300 },
    );
  });
});
