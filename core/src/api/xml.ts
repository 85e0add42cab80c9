import type { XmlLocation } from './errors.js';

/**
 * A parsed configuration element. The whole document is parsed once into this tree (sax), and
 * every tag handler and datasource type works on it, so that each can report line, column and
 * element path.
 */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** the element's own text (concatenated, not trimmed, children's text excluded) */
  readonly text: string;
  readonly location: XmlLocation;
  readonly parent: XmlElement | undefined;
}

/** Re-serialises an element (used for the `nexdatas_source` attribute). */
export function serializeXml(el: XmlElement): string {
  const esc = (s: string, attr: boolean): string =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(attr ? /"/g : /$^/, '&quot;');
  const attrs = Object.entries(el.attributes).map(([k, v]) => ` ${k}="${esc(v, true)}"`).join('');
  let inner = '';
  // text and children are kept apart in the tree; the original order of text between children is
  // not kept, which is fine for datasource descriptions (text then children)
  if (el.text.trim() !== '') inner += esc(el.text, false);
  for (const c of el.children) inner += serializeXml(c);
  return `<${el.name}${attrs}>${inner}</${el.name}>`;
}

export function childElements(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

export function childElement(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}
