// Go's json.Indent over raw JSON text: `inspect` prints the daemon's bytes
// re-indented (4 spaces), keeping key order and number spelling as sent.

export function indentJson(src: string, indent = '    ', prefix = ''): string {
  let out = '';
  let depth = 0;
  let needIndent = false;
  let inString = false;
  let escape = false;
  const newline = () => `\n${prefix}${indent.repeat(depth)}`;
  for (const c of src) {
    if (inString) {
      out += c;
      if (escape) escape = false;
      else if (c === '\\') escape = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (needIndent && c !== ']' && c !== '}') {
      needIndent = false;
      out += newline();
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case '{':
      case '[':
        out += c;
        depth++;
        needIndent = true;
        break;
      case ',':
        out += c + newline();
        break;
      case ':':
        out += ': ';
        break;
      case '}':
      case ']':
        depth--;
        if (needIndent) needIndent = false; // empty: "{}" and "[]" stay compact
        else out += newline();
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

/** Go's json.Compact: the same text without insignificant whitespace. */
export function compactJson(src: string): string {
  let out = '';
  let inString = false;
  let escape = false;
  for (const c of src) {
    if (inString) {
      out += c;
      if (escape) escape = false;
      else if (c === '\\') escape = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (c === '"') inString = true;
    out += c;
  }
  return out;
}
