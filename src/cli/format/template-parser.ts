// The parser of Go's text/template (text/template/parse/parse.go): builds
// the tree of text, actions and if/with/range control nodes. define,
// template and block are not supported (docker's formats never use them).

import { lex } from './template-lexer.ts';
import type { Item } from './template-lexer.ts';
import { argString, parseGoNumber, unquote } from './template-nodes.ts';
import type { Arg, Command, Node, Pipe } from './template-nodes.ts';

export type { Arg, Command, ControlNode, Node, Pipe } from './template-nodes.ts';
export { argString, pipeString } from './template-nodes.ts';

/** {{end}} and {{else}} close a list; they are not nodes of the tree. */
type Terminal = { kind: 'end' | 'else'; pos: number; line: number };

export class TemplateParseError extends Error {
  constructor(name: string, line: number, msg: string) {
    super(`template: ${name}:${line}: ${msg}`);
    this.name = 'TemplateParseError';
  }
}

export function parseTemplate(text: string, name: string, funcs: ReadonlySet<string>): Node[] {
  return new Parser(lex(text), name, funcs).parse();
}

function itemString(i: Item): string {
  if (i.type === 'eof') return 'EOF';
  if (i.type === 'error') return i.val;
  if (i.type === 'keyword') return `<${i.val}>`;
  if (i.val.length > 10) return `${JSON.stringify(i.val.slice(0, 10))}...`;
  return JSON.stringify(i.val);
}

class Parser {
  #items: Item[];
  #i = 0;
  #name: string;
  #funcs: ReadonlySet<string>;
  #vars: string[] = ['$'];
  #rangeDepth = 0;

  constructor(items: Item[], name: string, funcs: ReadonlySet<string>) {
    this.#items = items;
    this.#name = name;
    this.#funcs = funcs;
  }

  parse(): Node[] {
    const list: Node[] = [];
    while (this.#peek().type !== 'eof') {
      const n = this.#textOrAction();
      if (n.kind === 'end' || n.kind === 'else') this.#error(`unexpected {{${n.kind}}}`);
      list.push(n as Node);
    }
    return list;
  }

  #error(msg: string, item?: Item): never {
    const line = (item ?? this.#items[Math.max(0, this.#i - 1)] ?? { line: 1 }).line;
    throw new TemplateParseError(this.#name, line, msg);
  }

  #next(): Item {
    const item = this.#items[this.#i] ?? this.#items[this.#items.length - 1];
    if (this.#i < this.#items.length) this.#i++;
    if (item.type === 'error') this.#error(item.val, item);
    return item;
  }

  #backup(n = 1): void {
    this.#i -= n;
  }

  #peek(): Item {
    const item = this.#items[this.#i] ?? this.#items[this.#items.length - 1];
    if (item.type === 'error') this.#error(item.val, item);
    return item;
  }

  #nextNonSpace(): Item {
    let item = this.#next();
    while (item.type === 'space') item = this.#next();
    return item;
  }

  #peekNonSpace(): Item {
    const item = this.#nextNonSpace();
    this.#backup();
    return item;
  }

  #expect(type: Item['type'], context: string): Item {
    const item = this.#nextNonSpace();
    if (item.type !== type) this.#unexpected(item, context);
    return item;
  }

  #unexpected(item: Item, context: string): never {
    if (item.type === 'error') this.#error(item.val, item);
    this.#error(`unexpected ${itemString(item)} in ${context}`, item);
  }

  #textOrAction(): Node | Terminal {
    const item = this.#nextNonSpace();
    if (item.type === 'text') return { kind: 'text', pos: item.pos, text: item.val };
    if (item.type === 'leftDelim') return this.#action();
    this.#unexpected(item, 'input');
  }

  #action(): Node | Terminal {
    const token = this.#nextNonSpace();
    if (token.type === 'keyword') {
      switch (token.val) {
        case 'end':
          this.#expect('rightDelim', 'end');
          return { kind: 'end', pos: token.pos, line: token.line };
        case 'else': return this.#elseControl(token);
        case 'if': case 'with': case 'range': return this.#control(token.val, token);
        case 'break': case 'continue':
          if (this.#rangeDepth === 0) this.#error(`{{${token.val}}} outside {{range}}`, token);
          this.#expect('rightDelim', `{{${token.val}}}`);
          return { kind: token.val, pos: token.pos, line: token.line };
        default: this.#error(`{{${token.val}}} is not supported`, token);
      }
    }
    this.#backup();
    return { kind: 'action', pos: token.pos, line: token.line, pipe: this.#pipeline('command', 'rightDelim') };
  }

  #elseControl(token: Item): Terminal {
    const peek = this.#peekNonSpace();
    // "{{else if ...}}" and "{{else with ...}}" are read as {{else}}{{if ...}}...
    if (peek.type === 'keyword' && (peek.val === 'if' || peek.val === 'with')) return { kind: 'else', pos: peek.pos, line: peek.line };
    this.#expect('rightDelim', 'else');
    return { kind: 'else', pos: token.pos, line: token.line };
  }

  #control(context: 'if' | 'with' | 'range', token: Item): Node {
    const mark = this.#vars.length;
    try {
      const pipe = this.#pipeline(context, 'rightDelim');
      if (context === 'range') this.#rangeDepth++;
      let [list, next] = this.#itemList();
      if (context === 'range') this.#rangeDepth--;
      let elseList: Node[] | null = null;
      if (next.kind === 'else') {
        const peek = this.#peekNonSpace();
        if ((context === 'if' || context === 'with') && peek.type === 'keyword' && peek.val === context) {
          // One {{end}} closes the whole else-if chain.
          const inner = this.#nextNonSpace();
          elseList = [this.#control(context, inner)];
        } else {
          [elseList, next] = this.#itemList();
          if (next.kind !== 'end') this.#error(`expected end; found {{${next.kind}}}`);
        }
      }
      list = list ?? [];
      return { kind: context, pos: token.pos, line: token.line, pipe, list, elseList };
    } finally {
      this.#vars.length = mark;
    }
  }

  #itemList(): [Node[], Terminal] {
    const list: Node[] = [];
    while (this.#peekNonSpace().type !== 'eof') {
      const n = this.#textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return [list, n as Terminal];
      list.push(n as Node);
    }
    this.#error('unexpected EOF');
  }

  #pipeline(context: string, end: 'rightDelim' | 'rightParen'): Pipe {
    const start = this.#peekNonSpace();
    const pipe: Pipe = { pos: start.pos, line: start.line, isAssign: false, decl: [], cmds: [] };
    this.#declarations(pipe, context);
    for (;;) {
      const token = this.#nextNonSpace();
      if (token.type === end) {
        this.#checkPipeline(pipe, context);
        return pipe;
      }
      switch (token.type) {
        case 'bool': case 'charConstant': case 'dot': case 'field': case 'identifier': case 'number':
        case 'nil': case 'rawString': case 'string': case 'variable': case 'leftParen':
          this.#backup();
          pipe.cmds.push(this.#command());
          break;
        default:
          this.#unexpected(token, context);
      }
    }
  }

  #declarations(pipe: Pipe, context: string): void {
    for (;;) {
      const v = this.#peekNonSpace();
      if (v.type !== 'variable') return;
      const save = this.#i;
      this.#nextNonSpace();
      const next = this.#peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        pipe.isAssign = next.type === 'assign';
        this.#nextNonSpace();
        if (pipe.isAssign && !this.#vars.includes(v.val)) this.#error(`undefined variable "${v.val}"`, v);
        pipe.decl.push(v.val);
        this.#vars.push(v.val);
        return;
      }
      if (next.type === 'char' && next.val === ',') {
        this.#nextNonSpace();
        pipe.decl.push(v.val);
        this.#vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.#peekNonSpace();
          if (p.type === 'variable') continue;
          this.#error('range can only initialize variables', p);
        }
        this.#error(`too many declarations in ${context}`, next);
      }
      this.#i = save;
      return;
    }
  }

  #checkPipeline(pipe: Pipe, context: string): void {
    if (pipe.cmds.length === 0) this.#error(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0].kind;
      if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') {
        this.#error(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  #command(): Command {
    const cmd: Command = { pos: this.#peekNonSpace().pos, args: [] };
    for (;;) {
      this.#peekNonSpace();
      const operand = this.#operand();
      if (operand) cmd.args.push(operand);
      const token = this.#next();
      if (token.type === 'space') continue;
      if (token.type === 'rightDelim' || token.type === 'rightParen') this.#backup();
      else if (token.type !== 'pipe') this.#unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.#error('empty command');
    return cmd;
  }

  #operand(): Arg | null {
    const node = this.#term();
    if (!node) return null;
    if (this.#peek().type !== 'field') return node;
    // Go positions a chained field at its second field token: errors say ":1:7" for {{.Xmap.nope}}.
    const chainPos = this.#peek().pos;
    const fields: string[] = [];
    while (this.#peek().type === 'field') fields.push(this.#next().val.slice(1));
    switch (node.kind) {
      case 'field': return { kind: 'field', pos: chainPos, idents: [...node.idents, ...fields] };
      case 'variable': return { kind: 'variable', pos: chainPos, idents: [...node.idents, ...fields] };
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        this.#error(`unexpected . after term ${JSON.stringify(argString(node))}`);
      // falls through
      default: return { kind: 'chain', pos: chainPos, node, fields };
    }
  }

  #term(): Arg | null {
    const token = this.#nextNonSpace();
    switch (token.type) {
      case 'identifier':
        if (!this.#funcs.has(token.val)) this.#error(`function ${JSON.stringify(token.val)} not defined`, token);
        return { kind: 'identifier', pos: token.pos, name: token.val };
      case 'dot': return { kind: 'dot', pos: token.pos };
      case 'nil': return { kind: 'nil', pos: token.pos };
      case 'variable': {
        const [name, ...fields] = token.val.split('.');
        if (!this.#vars.includes(name)) this.#error(`undefined variable "${name}"`, token);
        return { kind: 'variable', pos: token.pos, idents: [name, ...fields] };
      }
      case 'field': return { kind: 'field', pos: token.pos, idents: token.val.slice(1).split('.') };
      case 'bool': return { kind: 'bool', pos: token.pos, value: token.val === 'true' };
      case 'charConstant': {
        const ch = unquote(`"${token.val.slice(1, -1).replace(/"/g, '\\"')}"`);
        return { kind: 'number', pos: token.pos, value: ch.codePointAt(0) ?? 0, text: token.val };
      }
      case 'number': {
        const value = parseGoNumber(token.val);
        if (Number.isNaN(value)) this.#error(`illegal number syntax: ${JSON.stringify(token.val)}`, token);
        return { kind: 'number', pos: token.pos, value, text: token.val };
      }
      case 'leftParen': return { kind: 'pipe', pos: token.pos, pipe: this.#pipeline('parenthesized pipeline', 'rightParen') };
      case 'string':
        return { kind: 'string', pos: token.pos, value: unquote(token.val), text: token.val };
      case 'rawString':
        return { kind: 'string', pos: token.pos, value: token.val.slice(1, -1).replace(/\r/g, ''), text: token.val };
      default:
        this.#backup();
        return null;
    }
  }
}
