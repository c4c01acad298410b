import type { XmlNode } from './xml-tree';

/**
 * Builds the plain element tree straight from the text of a document libxml2 has ALREADY parsed and
 * validated. Walking libxml2-wasm's node wrappers costs a WASM call and a wrapper object per node
 * (most of the receive time in the benchmark); scanning the same text in JS is several times faster.
 *
 * This is deliberately not a general XML parser: it relies on the input being well-formed (libxml2
 * said so) and DOCTYPE-free (the hostile screen refused any), so the only references are the five
 * predefined entities and character references. It applies the XML end-of-line rule (CRLF and CR become
 * LF) and attribute-value normalisation, as libxml2 does, and reports an element's line as libxml2
 * does. xml-tree.ts' copyTree() is the reference it is tested against.
 */
export function scanTree(text: string): XmlNode {
  return new Scanner(text).document();
}

interface Building {
  readonly name: string;
  readonly ns: string;
  readonly line: number;
  readonly attrs: Record<string, string>;
  readonly children: XmlNode[];
  text: string;
  readonly scope: ReadonlyMap<string, string>;
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

class Scanner {
  private pos = 0;
  private line = 1;

  constructor(private readonly src: string) {}

  document(): XmlNode {
    if (this.src.charCodeAt(0) === 0xfeff) this.pos = 1;
    const stack: Building[] = [];
    let root: XmlNode | undefined;
    const src = this.src;
    while (this.pos < src.length) {
      const lt = src.indexOf('<', this.pos);
      const end = lt === -1 ? src.length : lt;
      if (end > this.pos) {
        const top = stack[stack.length - 1];
        const chunk = src.slice(this.pos, end);
        if (top !== undefined) top.text += decodeReferences(endOfLines(chunk));
        this.advanceTo(end);
      }
      if (lt === -1) break;
      if (src.startsWith('<!--', lt)) this.skipPast('-->');
      else if (src.startsWith('<?', lt)) this.skipPast('?>');
      else if (src.startsWith('<![CDATA[', lt)) {
        const close = this.indexOrThrow(']]>', lt);
        const top = stack[stack.length - 1];
        if (top !== undefined) top.text += endOfLines(src.slice(lt + 9, close));
        this.advanceTo(close + 3);
      } else if (src.charCodeAt(lt + 1) === 0x2f /* / */) {
        const close = this.indexOrThrow('>', lt);
        this.advanceTo(close + 1);
        const done = stack.pop();
        if (done === undefined) throw new Error('unbalanced end tag');
        const node = freeze(done);
        const parent = stack[stack.length - 1];
        if (parent === undefined) root = node;
        else parent.children.push(node);
      } else {
        const el = this.startTag(stack[stack.length - 1]?.scope ?? EMPTY_SCOPE);
        if (el.selfClosing) {
          const node = freeze(el.building);
          const parent = stack[stack.length - 1];
          if (parent === undefined) root = node;
          else parent.children.push(node);
        } else {
          stack.push(el.building);
        }
      }
    }
    if (root === undefined || stack.length > 0) throw new Error('document has no complete root element');
    return root;
  }

  private startTag(scope: ReadonlyMap<string, string>): { building: Building; selfClosing: boolean } {
    const src = this.src;
    let i = this.pos + 1;
    const nameStart = i;
    while (i < src.length && !isNameEnd(src.charCodeAt(i))) i += 1;
    const qname = src.slice(nameStart, i);
    const raw: [string, string][] = [];
    let selfClosing = false;
    for (;;) {
      while (isSpace(src.charCodeAt(i))) i += 1;
      const c = src.charCodeAt(i);
      if (c === 0x3e /* > */) {
        i += 1;
        break;
      }
      if (c === 0x2f /* / */) {
        selfClosing = true;
        i += 2;
        break;
      }
      const attrStart = i;
      while (i < src.length && !isNameEnd(src.charCodeAt(i)) && src.charCodeAt(i) !== 0x3d) i += 1;
      const attrName = src.slice(attrStart, i);
      while (isSpace(src.charCodeAt(i))) i += 1;
      i += 1; // '='
      while (isSpace(src.charCodeAt(i))) i += 1;
      const quote = src[i];
      if (quote !== '"' && quote !== "'") throw new Error(`attribute ${attrName} without a quoted value`);
      const close = src.indexOf(quote, i + 1);
      if (close === -1) throw new Error(`attribute ${attrName} not closed`);
      raw.push([attrName, normalizeAttribute(src.slice(i + 1, close))]);
      i = close + 1;
    }
    // libxml2 gives an element the line its start tag ends on.
    this.advanceTo(i);

    let elementScope = scope;
    const attrs: Record<string, string> = {};
    for (const [name, value] of raw) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        if (elementScope === scope) elementScope = new Map(scope);
        (elementScope as Map<string, string>).set(name === 'xmlns' ? '' : name.slice(6), value);
      }
    }
    for (const [name, value] of raw) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
      attrs[localName(name)] = value;
    }
    const colon = qname.indexOf(':');
    const prefix = colon === -1 ? '' : qname.slice(0, colon);
    return {
      building: {
        name: colon === -1 ? qname : qname.slice(colon + 1),
        ns: elementScope.get(prefix) ?? '',
        line: this.line,
        attrs,
        children: [],
        text: '',
        scope: elementScope,
      },
      selfClosing,
    };
  }

  private skipPast(terminator: string): void {
    const at = this.indexOrThrow(terminator, this.pos);
    this.advanceTo(at + terminator.length);
  }

  private indexOrThrow(needle: string, from: number): number {
    const at = this.src.indexOf(needle, from);
    if (at === -1) throw new Error(`unterminated markup: ${needle} not found`);
    return at;
  }

  /** Moves to `to`, counting raw line feeds as libxml2 does (a file with bare CR line ends is all line 1). */
  private advanceTo(to: number): void {
    const src = this.src;
    for (let i = src.indexOf('\n', this.pos); i !== -1 && i < to; i = src.indexOf('\n', i + 1))
      this.line += 1;
    this.pos = to;
  }
}

const EMPTY_SCOPE: ReadonlyMap<string, string> = new Map();

function freeze(b: Building): XmlNode {
  return { name: b.name, ns: b.ns, line: b.line, attrs: b.attrs, children: b.children, text: b.text };
}

function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon === -1 ? qname : qname.slice(colon + 1);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isNameEnd(c: number): boolean {
  return isSpace(c) || c === 0x3e || c === 0x2f || Number.isNaN(c);
}

function decodeReferences(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const v = PREDEFINED[ref];
    if (v === undefined) throw new Error(`unexpected entity reference ${whole}`);
    return v;
  });
}

/** XML end-of-line handling: CRLF and a lone CR both become LF. */
function endOfLines(s: string): string {
  return s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s;
}

/** Attribute-value normalisation for CDATA attributes: literal whitespace becomes a space, then references. */
function normalizeAttribute(raw: string): string {
  return decodeReferences(endOfLines(raw).replace(/[\t\n]/g, ' '));
}
