// A strict reader of the small XML podnet writes (JUnit): elements, attributes, text; nothing else
// but the XML declaration. Throws on anything not well-formed: an unbalanced or unclosed tag, a raw
// `<` or `&` in text or an attribute, an unknown entity, a control character XML 1.0 forbids,
// a duplicate attribute, text outside the root. Enough to check the shape in tests without a parser package.

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const NAME = /^[A-Za-z_][\w.-]*/;

function decode(raw: string, where: string): string {
  // eslint-disable-next-line no-control-regex -- finding forbidden characters is the point
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(raw)) throw new Error(`${where}: a control character XML 1.0 forbids`);
  if (raw.includes('<')) throw new Error(`${where}: a raw <`);
  return raw.replace(/&([^;]*);?/g, (all, name: string) => {
    if (!all.endsWith(';')) throw new Error(`${where}: a raw & (${JSON.stringify(all)})`);
    if (name in ENTITIES) return ENTITIES[name]!;
    const m = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(name);
    if (m === null) throw new Error(`${where}: unknown entity &${name};`);
    return String.fromCodePoint(m[1]!.startsWith('x') ? parseInt(m[1]!.slice(1), 16) : Number(m[1]));
  });
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  if (decl === null) throw new Error('no XML declaration');
  i = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    const top = stack[stack.length - 1];
    if (top !== undefined) top.text += decode(text, `text in <${top.name}>`);
    else if (text.trim() !== '') throw new Error(`text outside the root: ${JSON.stringify(text)}`);
    if (lt < 0) break;
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new Error('an unclosed tag');
    const tag = xml.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const open = stack.pop();
      if (open === undefined || open.name !== tag.slice(1)) throw new Error(`</${tag.slice(1)}> closes <${open?.name ?? 'nothing'}>`);
      if (stack.length === 0) root = open;
      continue;
    }
    const selfClosing = tag.endsWith('/');
    let rest = selfClosing ? tag.slice(0, -1) : tag;
    const name = NAME.exec(rest)?.[0];
    if (name === undefined) throw new Error(`a bad tag <${tag}>`);
    rest = rest.slice(name.length);
    const element: XmlElement = { name, attributes: {}, children: [], text: '' };
    for (;;) {
      const m = /^\s+([A-Za-z_][\w.-]*)="([^"]*)"/.exec(rest);
      if (m === null) break;
      if (m[1]! in element.attributes) throw new Error(`<${name}>: ${m[1]} twice`);
      element.attributes[m[1]!] = decode(m[2]!, `<${name} ${m[1]}>`);
      rest = rest.slice(m[0].length);
    }
    if (rest.trim() !== '') throw new Error(`<${name}>: cannot read ${JSON.stringify(rest)}`);
    const parent = stack[stack.length - 1];
    if (parent !== undefined) parent.children.push(element);
    else if (root !== undefined) throw new Error('a second root element');
    if (selfClosing) {
      if (parent === undefined) root = element;
    } else stack.push(element);
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1]!.name}> is not closed`);
  if (root === undefined) throw new Error('no root element');
  return root;
}
