import fc from 'fast-check';

import { parseOptions } from './engine';
import { loadLibxml2, type Libxml2 } from './libxml2-loader';
import { el, escapeAttr, escapeText, serialize } from './xml-writer';

let lib: Libxml2;
beforeAll(async () => {
  lib = await loadLibxml2();
});

function parseBack(xml: string): { text: string; attr: string | undefined } {
  const doc = lib.XmlDocument.fromString(xml, { option: parseOptions(lib) });
  try {
    return { text: doc.root.content, attr: doc.root.attr('v')?.value };
  } finally {
    doc.dispose();
  }
}

/** What a parser must give back: the input, with characters XML 1.0 cannot carry as U+FFFD. */
function representable(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const ok =
      cp === 0x9 ||
      cp === 0xa ||
      cp === 0xd ||
      (cp >= 0x20 && cp <= 0xd7ff) ||
      (cp >= 0xe000 && cp <= 0xfffd) ||
      (cp >= 0x10000 && cp <= 0x10ffff);
    out += ok ? ch : '\uFFFD';
  }
  return out;
}

const nasty = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '&',
      '<',
      '>',
      '"',
      "'",
      '\r',
      '\n',
      '\t',
      ']]>',
      '&amp;',
      '\u0000',
      '\u0001',
      '\uD800',
      '\uFFFE',
      ' ',
    ),
    fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
  ),
});

describe('xml-writer escaping', () => {
  it('text and attribute values of any content parse back to what was written', () => {
    fc.assert(
      fc.property(nasty, nasty, (text, attr) => {
        const xml = serialize(el('Ustrd', text, { v: attr }));
        const back = parseBack(xml);
        expect(back.text).toBe(representable(text));
        expect(back.attr).toBe(representable(attr));
      }),
      { numRuns: 500 },
    );
  });

  it('escapes what must be escaped', () => {
    expect(escapeText('a & b < c > d ]]> \r')).toBe('a &amp; b &lt; c &gt; d ]]&gt; &#13;');
    expect(escapeAttr(`"x" & 'y' <z>\t\n`)).toBe('&quot;x&quot; &amp; &apos;y&apos; &lt;z&gt;&#9;&#10;');
  });

  it('writes children in the order given, skips undefined, self-closes empty elements', () => {
    expect(
      serialize(el('A', [el('B', 'x'), undefined, el('C', [])]), { declaration: false, indent: '' }),
    ).toBe('<A><B>x</B><C/></A>');
  });

  it('refuses names that are not XML names', () => {
    expect(() => serialize(el('a b'))).toThrow(/not an XML element name/);
    expect(() => serialize(el('a', 'x', { 'x"y': '1' }))).toThrow(/not an XML attribute name/);
  });
});
