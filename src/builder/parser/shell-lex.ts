// Variable substitution and quote removal in Dockerfile words, as Docker's
// shell lexer does it: $v, ${v}, ${v:-word}, ${v-word}, ${v:+word},
// ${v+word}, ${v:?msg}, ${v?msg}, ${v#pat}, ${v##pat}, ${v%pat}, ${v%%pat};
// '...' is literal; "..." expands and the escape character escapes only
// `"`, `$` and itself; outside quotes the escape character makes the next
// character literal. Only the instructions Docker expands go through here.

import { invalid } from '../../core/errors.ts';

export type Env = ReadonlyMap<string, string>;

export class ShellLex {
  readonly escape: string;

  constructor(escape = '\\') {
    this.escape = escape;
  }

  /** One word: variables expanded, quotes removed, no splitting. */
  word(s: string, env: Env): string {
    return this.#process(s, env, false)[0] ?? '';
  }

  /** Words split on unquoted whitespace after expansion (Docker's ProcessWords). */
  words(s: string, env: Env): string[] {
    return this.#process(s, env, true);
  }

  #process(s: string, env: Env, split: boolean): string[] {
    const out: string[] = [];
    let cur = '';
    let inWord = false;
    let i = 0;
    const esc = this.escape;
    while (i < s.length) {
      const ch = s[i]!;
      if (split && /\s/.test(ch)) {
        if (inWord) { out.push(cur); cur = ''; inWord = false; }
        i++;
        continue;
      }
      inWord = true;
      if (ch === "'") {
        const end = s.indexOf("'", i + 1);
        if (end < 0) throw invalid(`unexpected end of statement while looking for matching single-quote`);
        cur += s.slice(i + 1, end);
        i = end + 1;
      } else if (ch === '"') {
        i++;
        let closed = false;
        while (i < s.length) {
          const c = s[i]!;
          if (c === '"') { closed = true; i++; break; }
          if (c === esc && i + 1 < s.length) {
            const n = s[i + 1]!;
            if (n === '"' || n === '$' || n === esc) { cur += n; i += 2; continue; }
            cur += c;
            i++;
            continue;
          }
          if (c === '$') {
            const r = this.#dollar(s, i, env);
            cur += r.value;
            i = r.next;
            continue;
          }
          cur += c;
          i++;
        }
        if (!closed) throw invalid('unexpected end of statement while looking for matching double-quote');
      } else if (ch === esc) {
        if (i + 1 < s.length) { cur += s[i + 1]; i += 2; } else { i++; }
      } else if (ch === '$') {
        const r = this.#dollar(s, i, env);
        if (split) {
          // An unquoted expansion is split on whitespace too.
          const parts = r.value.split(/\s+/);
          cur += parts[0];
          for (const p of parts.slice(1)) { out.push(cur); cur = p; }
        } else {
          cur += r.value;
        }
        i = r.next;
      } else {
        cur += ch;
        i++;
      }
    }
    if (inWord || !split) out.push(cur);
    return out;
  }

  /** s[i] is "$": the expansion and the index after it. */
  #dollar(s: string, i: number, env: Env): { value: string; next: number } {
    const n = s[i + 1];
    if (n === '{') {
      const close = matchingBrace(s, i + 2);
      if (close < 0) throw invalid(`missing '}' in ${JSON.stringify(s)}`);
      return { value: this.#braced(s.slice(i + 2, close), env), next: close + 1 };
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9]/.exec(s.slice(i + 1));
    if (!m) return { value: '$', next: i + 1 };
    return { value: env.get(m[0]) ?? '', next: i + 1 + m[0].length };
  }

  #braced(body: string, env: Env): string {
    const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9]+)(.*)$/s.exec(body);
    if (!m) throw invalid(`bad substitution: \${${body}}`);
    const [, name, rest] = m as unknown as [string, string, string];
    const set = env.has(name);
    const val = env.get(name) ?? '';
    if (rest === '') return val;
    const op = /^(:-|:\+|:\?|-|\+|\?|##|#|%%|%)(.*)$/s.exec(rest);
    if (!op) throw invalid(`unsupported modifier (${rest[0]}) in substitution: \${${body}}`);
    const word = () => this.word(op[2]!, env);
    switch (op[1]) {
      case ':-': return set && val !== '' ? val : word();
      case '-': return set ? val : word();
      case ':+': return set && val !== '' ? word() : '';
      case '+': return set ? word() : '';
      case ':?': if (set && val !== '') return val; throw invalid(`${name}: ${word() || 'parameter null or not set'}`);
      case '?': if (set) return val; throw invalid(`${name}: ${word() || 'parameter not set'}`);
      case '#': return trimPrefix(val, word(), false);
      case '##': return trimPrefix(val, word(), true);
      case '%': return trimSuffix(val, word(), false);
      case '%%': return trimSuffix(val, word(), true);
    }
    return val;
  }
}

function matchingBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Shell glob (*, ?, [..]) as an anchored regex source. */
function globSource(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) { out += '\\['; continue; }
      out += `[${p.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

function trimPrefix(v: string, pat: string, longest: boolean): string {
  const re = new RegExp(`^${globSource(pat)}`, 's');
  for (let n = longest ? v.length : 0; longest ? n >= 0 : n <= v.length; n += longest ? -1 : 1) {
    if (re.test(v.slice(0, n)) && new RegExp(`^${globSource(pat)}$`, 's').test(v.slice(0, n))) return v.slice(n);
  }
  return v;
}

function trimSuffix(v: string, pat: string, longest: boolean): string {
  const re = new RegExp(`^${globSource(pat)}$`, 's');
  for (let n = longest ? 0 : v.length; longest ? n <= v.length : n >= 0; n += longest ? 1 : -1) {
    if (re.test(v.slice(n))) return v.slice(0, n);
  }
  return v;
}
