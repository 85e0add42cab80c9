/**
 * Parses a configuration document into an XmlElement tree with sax (strict mode). A syntax error
 * becomes a ConfigError naming the 1-based line and column and the element path where it occurred.
 */
import sax from 'sax';
import { ConfigError } from '../api/errors.js';
import type { XmlElement } from '../api/xml.js';

interface MutableElement {
  name: string;
  attributes: Record<string, string>;
  children: MutableElement[];
  text: string;
  location: { line: number; column: number; path: string };
  parent: MutableElement | undefined;
}

/** The label of one element in a path: the tag, with [name] or [name:type] when given. */
export function pathSegment(name: string, attributes: Readonly<Record<string, string>>): string {
  const n = attributes.name;
  const t = name === 'group' ? attributes.type : undefined;
  if (n !== undefined && t !== undefined) return `${name}[${n}:${t}]`;
  if (n !== undefined) return `${name}[${n}]`;
  if (t !== undefined) return `${name}[:${t}]`;
  return name;
}

export function parseXml(text: string): XmlElement {
  const parser = sax.parser(true, { trim: false, normalize: false, position: true, xmlns: false });
  const stack: MutableElement[] = [];
  let root: MutableElement | undefined;
  let failure: ConfigError | undefined;
  const where = (): string => (stack.length ? stack[stack.length - 1]!.location.path : '/');

  parser.onerror = (e: Error) => {
    failure ??= new ConfigError('CONFIG_SYNTAX', `XML syntax error: ${e.message.split('\n')[0]}`, {
      line: parser.line + 1, column: parser.column, path: where(),
    });
    // stop at the first error: sax would otherwise keep going
    parser.error = null as unknown as Error;
  };
  parser.onopentag = (node) => {
    if (failure) return;
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(node.attributes)) attributes[k] = typeof v === 'string' ? v : v.value;
    const parent = stack[stack.length - 1];
    const path = `${parent ? parent.location.path : ''}/${pathSegment(node.name, attributes)}`;
    // sax reports the position after the '>' of the start tag; the tag started on this line
    const el: MutableElement = { name: node.name, attributes, children: [], text: '', location: { line: parser.line + 1, column: parser.column, path }, parent };
    if (parent) parent.children.push(el);
    else if (root) {
      failure = new ConfigError('CONFIG_SYNTAX', `XML syntax error: a second root element <${node.name}> (a document has one root)`, el.location);
      return;
    } else root = el;
    stack.push(el);
  };
  parser.onclosetag = () => {
    if (!failure) stack.pop();
  };
  const onText = (t: string): void => {
    if (!failure && stack.length) stack[stack.length - 1]!.text += t;
  };
  parser.ontext = onText;
  parser.oncdata = onText;

  try {
    parser.write(text).close();
  } catch (e) {
    failure ??= new ConfigError('CONFIG_SYNTAX', `XML syntax error: ${(e as Error).message.split('\n')[0]}`, { line: parser.line + 1, column: parser.column, path: where() });
  }
  if (failure) throw failure;
  if (!root) throw new ConfigError('CONFIG_SYNTAX', 'XML syntax error: the document has no root element', { line: 1, column: 1, path: '/' });
  return root as XmlElement;
}
