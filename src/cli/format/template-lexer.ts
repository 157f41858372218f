// The lexer of Go's text/template (text/template/parse/lex.go), for the
// default {{ }} delimiters: text, actions with trim markers ({{- -}}),
// comments, fields, variables, strings, numbers and punctuation.

export type ItemType =
  | 'text' | 'leftDelim' | 'rightDelim' | 'space' | 'identifier' | 'keyword' | 'field' | 'dot'
  | 'variable' | 'string' | 'rawString' | 'number' | 'char' | 'charConstant' | 'bool' | 'nil'
  | 'pipe' | 'leftParen' | 'rightParen' | 'declare' | 'assign' | 'eof' | 'error';

export interface Item {
  type: ItemType;
  val: string;
  pos: number;   // byte offset of the item in the input (UTF-16 index here)
  line: number;
}

const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with']);
const LEFT = '{{';
const RIGHT = '}}';
const TRIM_SPACES = ' \t\r\n';

export function lex(input: string): Item[] {
  return new Lexer(input).run();
}

class Lexer {
  #input: string;
  #pos = 0;
  #start = 0;
  #line = 1;
  #startLine = 1;
  #items: Item[] = [];
  #parenDepth = 0;

  constructor(input: string) {
    this.#input = input;
  }

  run(): Item[] {
    while (this.#lexText()) {
      if (!this.#lexInsideAction()) break;
    }
    return this.#items;
  }

  #emit(type: ItemType, val?: string): void {
    const v = val ?? this.#input.slice(this.#start, this.#pos);
    this.#items.push({ type, val: v, pos: this.#start, line: this.#startLine });
    this.#start = this.#pos;
    this.#startLine = this.#line;
  }

  #error(msg: string): false {
    this.#items.push({ type: 'error', val: msg, pos: this.#start, line: this.#startLine });
    return false;
  }

  #advance(n: number): void {
    for (let i = 0; i < n; i++) if (this.#input[this.#pos + i] === '\n') this.#line++;
    this.#pos += n;
  }

  #ignore(): void {
    this.#start = this.#pos;
    this.#startLine = this.#line;
  }

  /** Scans text up to the next action; returns false at EOF (after emitting it). */
  #lexText(): boolean {
    const idx = this.#input.indexOf(LEFT, this.#pos);
    if (idx < 0) {
      this.#advance(this.#input.length - this.#pos);
      if (this.#pos > this.#start) this.#emit('text');
      this.#emit('eof');
      return false;
    }
    const trim = this.#hasLeftTrim(idx);
    let end = idx;
    if (trim) while (end > this.#pos && TRIM_SPACES.includes(this.#input[end - 1])) end--;
    this.#advance(end - this.#pos);
    if (this.#pos > this.#start) this.#emit('text');
    this.#advance(idx - this.#pos);
    this.#ignore();
    return true;
  }

  #hasLeftTrim(idx: number): boolean {
    const after = idx + LEFT.length;
    return this.#input[after] === '-' && TRIM_SPACES.includes(this.#input[after + 1] ?? '');
  }

  /** At "{{": emits the action's items through its "}}". */
  #lexInsideAction(): boolean {
    const trimLeft = this.#hasLeftTrim(this.#pos);
    this.#advance(LEFT.length + (trimLeft ? 2 : 0));
    if (this.#input.startsWith('/*', this.#pos)) return this.#lexComment();
    this.#emit('leftDelim', LEFT);
    this.#parenDepth = 0;
    for (;;) {
      const rest = this.#input.slice(this.#pos);
      const trimRight = /^[ \t\r\n]-}}/.test(rest);
      if ((trimRight || rest.startsWith(RIGHT)) && this.#parenDepth === 0) {
        if (trimRight) { this.#advance(1); this.#ignore(); this.#advance(1); this.#ignore(); }
        this.#advance(RIGHT.length);
        this.#emit('rightDelim', RIGHT);
        if (trimRight) {
          while (this.#pos < this.#input.length && TRIM_SPACES.includes(this.#input[this.#pos])) this.#advance(1);
          this.#ignore();
        }
        return true;
      }
      if (rest.length === 0) return this.#error('unclosed action');
      const c = rest[0];
      if (TRIM_SPACES.includes(c)) {
        let n = 0;
        while (n < rest.length && TRIM_SPACES.includes(rest[n]) && !/^[ \t\r\n]-}}/.test(rest.slice(n))) n++;
        if (n === 0) n = 1;
        this.#advance(n);
        this.#emit('space');
      } else if (c === '=') {
        this.#advance(1); this.#emit('assign');
      } else if (c === ':') {
        if (rest[1] !== '=') return this.#error('expected :=');
        this.#advance(2); this.#emit('declare');
      } else if (c === '|') {
        this.#advance(1); this.#emit('pipe');
      } else if (c === '"') {
        if (!this.#lexQuote()) return false;
      } else if (c === '`') {
        const end = rest.indexOf('`', 1);
        if (end < 0) return this.#error('unterminated raw quoted string');
        this.#advance(end + 1); this.#emit('rawString');
      } else if (c === '$') {
        this.#advance(1);
        this.#lexAlnum();
        this.#emit('variable');
        if (!this.#checkTerminator()) return false;
      } else if (c === "'") {
        const m = /^'(\\.[^']*|[^\\'\n])'/u.exec(rest);
        if (!m) return this.#error('unterminated character constant');
        this.#advance(m[0].length); this.#emit('charConstant');
      } else if (c === '.') {
        if (/^\.\d/.test(rest)) {
          if (!this.#lexNumber()) return false;
        } else if (/^\.[\p{L}\p{N}_]/u.test(rest)) {
          this.#advance(1);
          this.#lexAlnum();
          this.#emit('field');
          if (!this.#checkTerminator()) return false;
        } else {
          this.#advance(1); this.#emit('dot');
        }
      } else if (/^[+\-\d]/.test(c)) {
        if (!this.#lexNumber()) return false;
      } else if (/[\p{L}_]/u.test(c)) {
        this.#lexAlnum();
        const word = this.#input.slice(this.#start, this.#pos);
        if (KEYWORDS.has(word)) this.#emit('keyword');
        else if (word === 'true' || word === 'false') this.#emit('bool');
        else if (word === 'nil') this.#emit('nil');
        else this.#emit('identifier');
        if (!this.#checkTerminator()) return false;
      } else if (c === '(') {
        this.#parenDepth++; this.#advance(1); this.#emit('leftParen');
      } else if (c === ')') {
        this.#parenDepth--;
        if (this.#parenDepth < 0) return this.#error('unexpected right paren');
        this.#advance(1); this.#emit('rightParen');
      } else if (c.charCodeAt(0) < 0x7f && c.charCodeAt(0) > 0x20) {
        this.#advance(1); this.#emit('char');
      } else {
        return this.#error(`unrecognized character in action: ${JSON.stringify(c)}`);
      }
    }
  }

  #lexComment(): boolean {
    const end = this.#input.indexOf('*/', this.#pos);
    if (end < 0) return this.#error('unclosed comment');
    this.#advance(end + 2 - this.#pos);
    const rest = this.#input.slice(this.#pos);
    const trimRight = /^[ \t\r\n]-}}/.test(rest);
    if (!trimRight && !rest.startsWith(RIGHT)) return this.#error('comment ends before closing delimiter');
    this.#advance(trimRight ? 2 + RIGHT.length : RIGHT.length);
    if (trimRight) while (this.#pos < this.#input.length && TRIM_SPACES.includes(this.#input[this.#pos])) this.#advance(1);
    this.#ignore();
    return true;
  }

  #lexAlnum(): void {
    while (this.#pos < this.#input.length && /[\p{L}\p{N}_]/u.test(this.#input[this.#pos])) this.#advance(1);
  }

  #lexQuote(): boolean {
    let i = this.#pos + 1;
    for (; i < this.#input.length; i++) {
      const ch = this.#input[i];
      if (ch === '\\') { i++; continue; }
      if (ch === '\n') return this.#error('unterminated quoted string');
      if (ch === '"') break;
    }
    if (i >= this.#input.length) return this.#error('unterminated quoted string');
    this.#advance(i + 1 - this.#pos);
    this.#emit('string');
    return true;
  }

  #lexNumber(): boolean {
    const m = /^[+-]?(0[xX][0-9a-fA-F_]+(\.[0-9a-fA-F_]*)?([pP][+-]?\d+)?|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?[\d_]*([eE][+-]?\d+)?)i?/.exec(this.#input.slice(this.#pos));
    const text = m ? m[0] : '';
    if (!text || !/\d/.test(text)) return this.#error(`bad number syntax: "${this.#input.slice(this.#pos, this.#pos + 1)}"`);
    this.#advance(text.length);
    if (/^[\p{L}\p{N}_.]/u.test(this.#input.slice(this.#pos))) {
      return this.#error(`bad number syntax: "${this.#input.slice(this.#start, this.#pos + 1)}"`);
    }
    this.#emit('number');
    return true;
  }

  /** Fields, variables and words must be followed by a separator. */
  #checkTerminator(): boolean {
    const c = this.#input[this.#pos];
    if (c === undefined || ' \t\r\n.,|:)('.includes(c) || this.#input.startsWith(RIGHT, this.#pos) || c === '=') return true;
    return this.#error(`bad character U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${c}'`);
  }
}
