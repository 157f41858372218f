// The parse tree of a template (text/template/parse's node types), how
// nodes print in error messages, and Go literal syntax.

export interface Pipe { pos: number; line: number; isAssign: boolean; decl: string[]; cmds: Command[] }
export interface Command { pos: number; args: Arg[] }

export type Arg =
  | { kind: 'field'; pos: number; idents: string[] }
  | { kind: 'variable'; pos: number; idents: string[] }
  | { kind: 'identifier'; pos: number; name: string }
  | { kind: 'dot'; pos: number }
  | { kind: 'nil'; pos: number }
  | { kind: 'bool'; pos: number; value: boolean }
  | { kind: 'number'; pos: number; value: number; text: string }
  | { kind: 'string'; pos: number; value: string; text: string }
  | { kind: 'pipe'; pos: number; pipe: Pipe }
  | { kind: 'chain'; pos: number; node: Arg; fields: string[] };

export type Node =
  | { kind: 'text'; pos: number; text: string }
  | { kind: 'action'; pos: number; line: number; pipe: Pipe }
  | ControlNode
  | { kind: 'break' | 'continue'; pos: number; line: number };

export interface ControlNode { kind: 'if' | 'with' | 'range'; pos: number; line: number; pipe: Pipe; list: Node[]; elseList: Node[] | null }


export function pipeString(p: Pipe): string {
  const decl = p.decl.length ? `${p.decl.join(', ')} ${p.isAssign ? '=' : ':='} ` : '';
  return decl + p.cmds.map((c) => c.args.map(argString).join(' ')).join(' | ');
}

export function argString(a: Arg): string {
  switch (a.kind) {
    case 'field': return a.idents.map((i) => `.${i}`).join('');
    case 'variable': return a.idents.join('.');
    case 'identifier': return a.name;
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return String(a.value);
    case 'number': return a.text;
    case 'string': return a.text;
    case 'pipe': return `(${pipeString(a.pipe)})`;
    case 'chain': return argString(a.node) + a.fields.map((f) => `.${f}`).join('');
  }
}

export function parseGoNumber(text: string): number {
  const t = text.replace(/_/g, '');
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return parseInt(t, 16);
  if (/^[+-]?0[bB][01]+$/.test(t)) return (t.startsWith('-') ? -1 : 1) * parseInt(t.replace(/^[+-]?0[bB]/, ''), 2);
  if (/^[+-]?0[oO]?[0-7]+$/.test(t) && /^[+-]?0/.test(t) && t.replace(/^[+-]/, '').length > 1) {
    return (t.startsWith('-') ? -1 : 1) * parseInt(t.replace(/^[+-]?0[oO]?/, ''), 8);
  }
  return Number(t);
}

/** strconv.Unquote for a double-quoted Go string. */
export function unquote(quoted: string): string {
  const body = quoted.slice(1, -1);
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, e: string) => {
    switch (e[0]) {
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'v': return '\v';
      case 'x': return String.fromCharCode(parseInt(e.slice(1), 16));
      case 'u': case 'U': return String.fromCodePoint(parseInt(e.slice(1), 16));
      default: return /^[0-7]{3}$/.test(e) ? String.fromCharCode(parseInt(e, 8)) : e;
    }
  });
}
