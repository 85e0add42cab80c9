/**
 * Parses a configuration document into an XmlElement tree with sax (strict mode). A syntax error
 * becomes a ConfigError naming the 1-based line and column and the element path where it occurred;
 * so does a document beyond the input limits (api/limits.ts).
 */
import sax from 'sax';
import { ConfigError, type XmlLocation } from '../api/errors.js';
import { DEFAULT_LIMITS, formatBytes, limitError, type InputLimits } from '../api/limits.js';
import type { XmlElement } from '../api/xml.js';
import { slicer } from './yielding.js';

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

/**
 * Builds the element tree while sax reads the document, enforcing the depth, element and attribute
 * limits as sax meets them, so an oversized document stops at the first element past a limit.
 */
class TreeBuilder {
  private readonly parser = sax.parser(true, { trim: false, normalize: false, position: true, xmlns: false });
  private readonly stack: MutableElement[] = [];
  private root: MutableElement | undefined;
  private failure: ConfigError | undefined;
  private elements = 0;
  /** attributes of the tag being read */
  private attributes = 0;

  constructor(private readonly limits: InputLimits) {
    const parser = this.parser;
    parser.onerror = (e: Error) => {
      this.failure ??= new ConfigError('CONFIG_SYNTAX', `XML syntax error: ${e.message.split('\n')[0]}`, this.here());
      // stop at the first error: sax would otherwise keep going
      parser.error = null as unknown as Error;
    };
    parser.onopentag = (node) => this.open(node);
    // counted as sax reads them, so a tag with a million attributes stops at the first too many
    parser.onopentagstart = () => {
      this.attributes = 0;
    };
    parser.onattribute = () => {
      if (++this.attributes > limits.xmlAttributes) {
        const tag = this.parser.tag.name;
        const at = this.here();
        throw limitError(`<${tag}> has more than ${limits.xmlAttributes} attributes`, 'xmlAttributes', { ...at, path: `${at.path === '/' ? '' : at.path}/${tag}` });
      }
    };
    parser.onclosetag = () => {
      if (!this.failure) this.stack.pop();
    };
    const onText = (t: string): void => {
      if (!this.failure && this.stack.length) this.stack[this.stack.length - 1]!.text += t;
    };
    parser.ontext = onText;
    parser.oncdata = onText;
  }

  private here(): XmlLocation {
    const top = this.stack[this.stack.length - 1];
    return { line: this.parser.line + 1, column: this.parser.column, path: top ? top.location.path : '/' };
  }

  private open(node: sax.Tag | sax.QualifiedTag): void {
    if (this.failure) return;
    const { stack, limits } = this;
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(node.attributes)) attributes[k] = typeof v === 'string' ? v : v.value;
    const parent = stack[stack.length - 1];
    const path = `${parent ? parent.location.path : ''}/${pathSegment(node.name, attributes)}`;
    // sax reports the position after the '>' of the start tag; the tag started on this line
    const location = { line: this.parser.line + 1, column: this.parser.column, path };
    // thrown, not recorded: sax stops reading at once
    if (++this.elements > limits.xmlElements) throw limitError(`the configuration has more than ${limits.xmlElements} elements`, 'xmlElements', location);
    if (stack.length + 1 > limits.xmlDepth) throw limitError(`elements nest more than ${limits.xmlDepth} deep`, 'xmlDepth', location);
    const el: MutableElement = { name: node.name, attributes, children: [], text: '', location, parent };
    if (parent) parent.children.push(el);
    else if (this.root) {
      this.failure = new ConfigError('CONFIG_SYNTAX', `XML syntax error: a second root element <${node.name}> (a document has one root)`, el.location);
      return;
    } else this.root = el;
    stack.push(el);
  }

  /** reads the next piece of the document; false once an error ended the parse */
  feed(chunk: string): boolean {
    if (this.failure) return false;
    this.guard(() => this.parser.write(chunk));
    return !this.failure;
  }

  finish(): XmlElement {
    if (!this.failure) this.guard(() => this.parser.close());
    if (this.failure) throw this.failure;
    if (!this.root) throw new ConfigError('CONFIG_SYNTAX', 'XML syntax error: the document has no root element', { line: 1, column: 1, path: '/' });
    return this.root as XmlElement;
  }

  private guard(step: () => void): void {
    try {
      step();
    } catch (e) {
      this.failure ??= e instanceof ConfigError ? e : new ConfigError('CONFIG_SYNTAX', `XML syntax error: ${(e as Error).message.split('\n')[0]}`, this.here());
    }
  }
}

function checkSize(text: string, limits: InputLimits): void {
  // a string of n UTF-16 units holds at most 3n UTF-8 bytes: count only when it may matter
  if (text.length * 3 <= limits.xmlBytes) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.xmlBytes) {
    throw limitError(`the configuration is ${bytes} bytes, more than ${formatBytes(limits.xmlBytes)}`, 'xmlBytes', { line: 1, column: 1, path: '/' });
  }
}

export function parseXml(text: string, limits: InputLimits = DEFAULT_LIMITS): XmlElement {
  checkSize(text, limits);
  const b = new TreeBuilder(limits);
  b.feed(text);
  return b.finish();
}

/** characters handed to sax at a time (about a millisecond of work) */
const PARSE_SLICE = 64 * 1024;

/**
 * parseXml for servers: reads the document in slices and pauses between them, so that a large
 * configuration does not hold the event loop (the other devices keep answering).
 */
export async function parseXmlYielding(text: string, limits: InputLimits): Promise<XmlElement> {
  checkSize(text, limits);
  const b = new TreeBuilder(limits);
  const tick = slicer();
  for (let i = 0; i < text.length; i += PARSE_SLICE) {
    if (!b.feed(text.slice(i, i + PARSE_SLICE))) break;
    await tick();
  }
  return b.finish();
}
