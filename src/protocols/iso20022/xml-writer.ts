import type { XmlNode } from './xml-tree';

/**
 * A small XML writer for the messages we emit. Children are written in the order given, which the
 * builders keep equal to the schema's sequence order; undefined children are skipped so optional
 * elements can be written inline.
 */
export interface XElement {
  readonly name: string;
  readonly attrs?: Readonly<Record<string, string>>;
  readonly text?: string;
  readonly children?: readonly (XElement | undefined)[];
}

export function el(
  name: string,
  content?: string | readonly (XElement | undefined)[],
  attrs?: Record<string, string>,
): XElement {
  return {
    name,
    ...(attrs === undefined ? {} : { attrs }),
    ...(typeof content === 'string' ? { text: content } : content === undefined ? {} : { children: content }),
  };
}

/** An element only when its value is present (an optional leaf). */
export function optEl(name: string, value: string | undefined): XElement | undefined {
  return value === undefined ? undefined : el(name, value);
}

/** Re-emits an element that arrived in a validated message (e.g. a party), under the caller's name. */
export function fromNode(node: XmlNode, rename?: string): XElement {
  const name = rename ?? node.name;
  const attrs = Object.keys(node.attrs).length > 0 ? { ...node.attrs } : undefined;
  return node.children.length > 0
    ? el(
        name,
        node.children.map((c) => fromNode(c)),
        attrs,
      )
    : el(name, node.text, attrs);
}

/** Characters XML 1.0 cannot carry at all, including lone surrogates. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/;

/**
 * Text escaping. `>` is escaped too so "]]>" can never appear; CR is written as a reference because a
 * parser would otherwise normalise it away. Characters XML cannot represent become U+FFFD rather than
 * producing a document no one can parse.
 */
export function escapeText(value: string): string {
  return value
    .replace(NOT_XML_CHAR, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;');
}

/** Attribute escaping: quotes, and TAB/LF/CR as references so attribute normalisation keeps them. */
export function escapeAttr(value: string): string {
  return escapeText(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;');
}

export interface SerializeOptions {
  /** Prefix each level with this; '' writes everything on one line. Default two spaces. */
  readonly indent?: string;
  readonly declaration?: boolean;
}

export function serialize(root: XElement, options: SerializeOptions = {}): string {
  const indent = options.indent ?? '  ';
  const out: string[] = [];
  if (options.declaration ?? true) out.push('<?xml version="1.0" encoding="UTF-8"?>');
  write(root, 0, indent, out);
  return out.join(indent === '' ? '' : '\n') + (indent === '' ? '' : '\n');
}

function write(node: XElement, depth: number, indent: string, out: string[]): void {
  if (!NAME.test(node.name)) throw new Error(`not an XML element name: ${JSON.stringify(node.name)}`);
  const pad = indent.repeat(depth);
  let open = `<${node.name}`;
  for (const [k, v] of Object.entries(node.attrs ?? {})) {
    if (!NAME.test(k)) throw new Error(`not an XML attribute name: ${JSON.stringify(k)}`);
    open += ` ${k}="${escapeAttr(v)}"`;
  }
  const children = (node.children ?? []).filter((c): c is XElement => c !== undefined);
  if (children.length === 0) {
    const text = node.text ?? '';
    out.push(text === '' ? `${pad}${open}/>` : `${pad}${open}>${escapeText(text)}</${node.name}>`);
    return;
  }
  out.push(`${pad}${open}>`);
  for (const c of children) write(c, depth + 1, indent, out);
  out.push(`${pad}</${node.name}>`);
}
