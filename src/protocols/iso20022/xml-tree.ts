import type { Libxml2 } from './libxml2-loader';

type LibElement = InstanceType<Libxml2['XmlElement']>;

/**
 * A validated element as plain objects, so the native document can be disposed straight after
 * validation and the readers never hold WASM memory. Text is kept exactly as sent. Built by scanTree()
 * (xml-scan.ts) on the receive path.
 */
export interface XmlNode {
  /** Local name, without prefix. */
  readonly name: string;
  readonly ns: string;
  readonly line: number;
  /** Attributes by local name (ISO 20022 attributes are unqualified, e.g. Ccy). */
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
  /** The element's own text (all text and CDATA children concatenated), unmodified. */
  readonly text: string;
}

/**
 * The same tree read through libxml2-wasm's node wrappers: the reference scanTree() is tested against.
 * Not on the receive path (a WASM call and a wrapper per node made it most of the receive time), and
 * it cannot walk past a processing instruction inside an element (libxml2-wasm gives that node no
 * `next`).
 */
export function copyTree(lib: Libxml2, el: LibElement): XmlNode {
  const children: XmlNode[] = [];
  let text = '';
  for (let c = el.firstChild; c !== null; c = c.next) {
    if (c instanceof lib.XmlElement) children.push(copyTree(lib, c));
    else if (c instanceof lib.XmlText || c instanceof lib.XmlCData) text += c.content;
  }
  const attrs: Record<string, string> = {};
  for (const a of el.attrs) attrs[a.name] = a.value;
  return { name: el.name, ns: el.namespaceUri, line: el.line, attrs, children, text };
}

export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return node?.children.find((c) => c.name === name);
}

export function childrenNamed(node: XmlNode | undefined, name: string): XmlNode[] {
  return node === undefined ? [] : node.children.filter((c) => c.name === name);
}

/** Follows a path of child names, first match at each step. */
export function at(node: XmlNode | undefined, ...names: string[]): XmlNode | undefined {
  let cur = node;
  for (const n of names) cur = child(cur, n);
  return cur;
}

/** Text at a path, exactly as sent; undefined when the element is absent. */
export function textAt(node: XmlNode | undefined, ...names: string[]): string | undefined {
  return at(node, ...names)?.text;
}
