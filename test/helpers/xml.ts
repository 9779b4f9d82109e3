/** A minimal XML well-formedness check: balanced tags, quoted attributes, only the five entities; the element names in order. */
export function parseXml(xml: string): string[] {
  const names: string[] = [];
  const open: string[] = [];
  const body = xml.replace(/^<\?xml [^?]*\?>\n/, '');
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = token.exec(body))) {
    at = token.lastIndex;
    const [, close, name, attrs, selfClose, text] = m;
    const raw = text ?? attrs ?? '';
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(raw)) throw new Error(`a bare & in ${raw.slice(0, 40)}`);
    if (text !== undefined) continue;
    if (close) {
      if (open.pop() !== name) throw new Error(`</${name}> closes nothing open`);
    } else {
      names.push(name!);
      if (!selfClose) open.push(name!);
    }
  }
  if (at !== body.length) throw new Error(`not XML at ${JSON.stringify(body.slice(at, at + 40))}`);
  if (open.length) throw new Error(`unclosed ${open.join(', ')}`);
  return names;
}
