// The evaluator of Go's text/template (text/template/exec.go) over JSON-like
// data and typed contexts. Maps are JSON objects: a missing key is Go's
// "no value" (or an error with missingkey=error); typed contexts answer
// fields and methods and reject unknown names like a Go struct.

import type { Arg, Command, ControlNode, Node, Pipe } from './template-parser.ts';
import { argString } from './template-parser.ts';
import { GO_TYPE, GoNil, MISSING, formatValue, goTypeName, isMap, isMissing, isTyped, truth } from './gofmt.ts';
import { WrongTypeError } from './template-funcs.ts';

export type MissingKey = 'default' | 'zero' | 'error';

/** A template function. Lazy functions (and/or) get thunks instead of values. */
export interface TemplateFunc {
  (...args: unknown[]): unknown;
  lazy?: boolean;
}

export class TemplateExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateExecError';
  }
}

class BreakSignal { }
class ContinueSignal { }

export interface ExecOptions {
  name: string;
  source: string;
  funcs: Record<string, TemplateFunc>;
  missingKey: MissingKey;
  /** On error, return the output so far instead of throwing. */
  partial?: boolean;
  /** Go field names for JSON keys spelled differently (ID for "Id"), tried when a key is missing. */
  aliases?: Readonly<Record<string, string>>;
}

export function execute(nodes: Node[], data: unknown, opts: ExecOptions): string {
  const state = new State(opts, data);
  try {
    state.walkList(data, nodes);
  } catch (err) {
    if (!opts.partial) throw err;
  }
  return state.out.join('');
}

class State {
  out: string[] = [];
  #opts: ExecOptions;
  #vars: { name: string; value: unknown }[];
  #at: { pos: number; text: string } = { pos: 0, text: '' };

  constructor(opts: ExecOptions, data: unknown) {
    this.#opts = opts;
    this.#vars = [{ name: '$', value: data }];
  }

  error(msg: string): never {
    const { pos, text } = this.#at;
    const before = this.#opts.source.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - (before.lastIndexOf('\n') + 1);
    throw new TemplateExecError(`template: ${this.#opts.name}:${line}:${col}: executing "${this.#opts.name}" at <${text}>: ${msg}`);
  }

  #setAt(pos: number, text: string): void {
    this.#at = { pos, text };
  }

  walkList(dot: unknown, nodes: Node[]): void {
    for (const n of nodes) this.walk(dot, n);
  }

  walk(dot: unknown, node: Node): void {
    switch (node.kind) {
      case 'text':
        this.out.push(node.text);
        return;
      case 'action': {
        const val = this.#evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.out.push(this.#printable(val));
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.#vars.length;
        const val = this.#evalPipeline(dot, node.pipe);
        if (this.#truth(val)) this.walkList(node.kind === 'with' ? val : dot, node.list);
        else if (node.elseList) this.walkList(dot, node.elseList);
        this.#vars.length = mark;
        return;
      }
      case 'range':
        this.#walkRange(dot, node);
        return;
      case 'break': throw new BreakSignal();
      case 'continue': throw new ContinueSignal();
    }
  }

  #walkRange(dot: unknown, node: ControlNode): void {
    const mark = this.#vars.length;
    const val = this.#evalPipeline(dot, node.pipe);
    const entries: [unknown, unknown][] = [];
    if (Array.isArray(val)) val.forEach((v, i) => entries.push([i, v]));
    else if (isMap(val)) for (const k of Object.keys(val).sort()) entries.push([k, val[k]]);
    else if (typeof val === 'number' && Number.isInteger(val)) for (let i = 0; i < val; i++) entries.push([i, i]);
    else if (!isMissing(val) && val !== null && !(val instanceof GoNil)) {
      this.#setAt(node.pipe.pos, pipeText(node.pipe));
      this.error(`range can't iterate over ${formatValue(val)}`);
    }
    const top = this.#vars.length;
    const decl = node.pipe.decl;
    for (const [key, elem] of entries) {
      if (decl.length === 1) this.#setRangeVar(decl[0], elem, node.pipe.isAssign, top - 1);
      if (decl.length === 2) {
        this.#setRangeVar(decl[0], key, node.pipe.isAssign, top - 2);
        this.#setRangeVar(decl[1], elem, node.pipe.isAssign, top - 1);
      }
      try {
        this.walkList(elem, node.list);
      } catch (sig) {
        if (sig instanceof BreakSignal) { this.#vars.length = top; break; }
        if (!(sig instanceof ContinueSignal)) throw sig;
      }
      this.#vars.length = top;
    }
    if (entries.length === 0 && node.elseList) this.walkList(dot, node.elseList);
    this.#vars.length = mark;
  }

  /** Declared range variables sit on top of the stack; assigned ones are found by name. */
  #setRangeVar(name: string, value: unknown, assign: boolean, slot: number): void {
    if (!assign) {
      this.#vars[slot].value = value;
      return;
    }
    for (let i = this.#vars.length - 1; i >= 0; i--) {
      if (this.#vars[i].name === name) { this.#vars[i].value = value; return; }
    }
  }

  #evalPipeline(dot: unknown, pipe: Pipe): unknown {
    let value: unknown = MISSING;
    let first = true;
    for (const cmd of pipe.cmds) {
      value = this.#evalCommand(dot, cmd, first ? MISSING : value, !first);
      first = false;
    }
    for (const name of pipe.decl) {
      if (pipe.isAssign) {
        const v = [...this.#vars].reverse().find((x) => x.name === name);
        if (v) v.value = value;
      } else {
        this.#vars.push({ name, value });
      }
    }
    return value;
  }

  #evalCommand(dot: unknown, cmd: Command, final: unknown, hasFinal: boolean): unknown {
    const first = cmd.args[0];
    const args = cmd.args;
    this.#setAt(first.pos, argString(first));
    switch (first.kind) {
      case 'field':
        return this.#evalFieldChain(dot, dot, first.idents, args, final, hasFinal);
      case 'chain': {
        const base = this.#evalArg(dot, first.node);
        return this.#evalFieldChain(dot, base, first.fields, args, final, hasFinal);
      }
      case 'identifier':
        return this.#evalFunction(dot, first.name, args, final, hasFinal);
      case 'pipe':
        this.#notAFunction(args, hasFinal);
        return this.#evalPipeline(dot, first.pipe);
      case 'variable': {
        const value = this.#lookupVar(first.idents[0]);
        if (first.idents.length === 1) {
          this.#notAFunction(args, hasFinal);
          return value;
        }
        return this.#evalFieldChain(dot, value, first.idents.slice(1), args, final, hasFinal);
      }
    }
    this.#notAFunction(args, hasFinal);
    return this.#evalArg(dot, first);
  }

  #notAFunction(args: Arg[], hasFinal: boolean): void {
    if (args.length > 1 || hasFinal) this.error(`can't give argument to non-function ${argString(args[0])}`);
  }

  #lookupVar(name: string): unknown {
    for (let i = this.#vars.length - 1; i >= 0; i--) if (this.#vars[i].name === name) return this.#vars[i].value;
    return this.error(`undefined variable: ${name}`);
  }

  #evalArg(dot: unknown, arg: Arg): unknown {
    this.#setAt(arg.pos, argString(arg));
    switch (arg.kind) {
      case 'dot': return dot;
      case 'nil': return null;
      case 'bool': return arg.value;
      case 'number': return arg.value;
      case 'string': return arg.value;
      case 'field': return this.#evalFieldChain(dot, dot, arg.idents, [arg], MISSING, false);
      case 'variable': {
        const value = this.#lookupVar(arg.idents[0]);
        return arg.idents.length === 1 ? value : this.#evalFieldChain(dot, value, arg.idents.slice(1), [arg], MISSING, false);
      }
      case 'pipe': return this.#evalPipeline(dot, arg.pipe);
      case 'chain': return this.#evalFieldChain(dot, this.#evalArg(dot, arg.node), arg.fields, [arg], MISSING, false);
      case 'identifier': return this.#evalFunction(dot, arg.name, [arg], MISSING, false);
    }
  }

  #evalFieldChain(dot: unknown, receiver: unknown, idents: string[], args: Arg[], final: unknown, hasFinal: boolean): unknown {
    let r = receiver;
    for (let i = 0; i < idents.length - 1; i++) r = this.#evalField(dot, idents[i], [], MISSING, false, r);
    return this.#evalField(dot, idents[idents.length - 1], args, final, hasFinal, r);
  }

  #evalField(dot: unknown, name: string, args: Arg[], final: unknown, hasFinal: boolean, receiver: unknown): unknown {
    const extra = args.length > 1 || hasFinal;
    if (isMissing(receiver)) {
      if (this.#opts.missingKey === 'error') this.error(`nil data; no entry for key "${name}"`);
      return MISSING;
    }
    if (isTyped(receiver)) {
      if (!(name in receiver)) this.error(`can't evaluate field ${name} in type ${receiver[GO_TYPE]}`);
      const member = receiver[name];
      if (typeof member === 'function') {
        const callArgs = args.slice(1).map((a) => this.#evalArg(dot, a));
        if (hasFinal) callArgs.push(final);
        return this.#call(name, member as TemplateFunc, callArgs);
      }
      if (extra) this.error(`${name} has arguments but cannot be invoked as function`);
      return member;
    }
    if (isMap(receiver)) {
      if (extra) this.error(`${name} is not a method but has arguments`);
      if (Object.prototype.hasOwnProperty.call(receiver, name)) return receiver[name];
      const alias = this.#opts.aliases?.[name];
      if (alias !== undefined && Object.prototype.hasOwnProperty.call(receiver, alias)) return receiver[alias];
      if (this.#opts.missingKey === 'error') this.error(`map has no entry for key "${name}"`);
      return this.#opts.missingKey === 'zero' ? null : MISSING;
    }
    if (receiver instanceof GoNil && receiver.kind === 'map') {
      if (extra) this.error(`${name} is not a method but has arguments`);
      if (this.#opts.missingKey === 'error') this.error(`map has no entry for key "${name}"`);
      return '';
    }
    if (receiver === null) this.error(`nil pointer evaluating interface {}.${name}`);
    return this.error(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  #evalFunction(dot: unknown, name: string, args: Arg[], final: unknown, hasFinal: boolean): unknown {
    const fn = this.#opts.funcs[name];
    if (!fn) return this.error(`"${name}" is not a defined function`);
    const rest = args.slice(1);
    if (fn.lazy) {
      const thunks: (() => unknown)[] = rest.map((a) => () => this.#evalArg(dot, a));
      if (hasFinal) thunks.push(() => final);
      return this.#call(name, fn, thunks);
    }
    const values = rest.map((a) => this.#evalArg(dot, a));
    if (hasFinal) values.push(final);
    this.#setAt(args[0].pos, args.map(argString).join(' '));
    try {
      return fn(...values);
    } catch (err) {
      if (err instanceof TemplateExecError) throw err;
      if (err instanceof WrongTypeError) {
        const i = values.indexOf(err.value);
        if (i >= 0 && i < rest.length) this.#setAt(rest[i].pos, argString(rest[i]));
        return this.error(err.message);
      }
      return this.error(`error calling ${name}: ${(err as Error).message}`);
    }
  }

  #call(name: string, fn: TemplateFunc, args: unknown[]): unknown {
    try {
      return fn(...args);
    } catch (err) {
      if (err instanceof TemplateExecError) throw err;
      return this.error(`error calling ${name}: ${(err as Error).message}`);
    }
  }

  #truth(v: unknown): boolean {
    return truth(v);
  }

  #printable(v: unknown): string {
    if (typeof v === 'function') this.error("can't print function");
    return formatValue(v);
  }
}

function pipeText(p: Pipe): string {
  return p.cmds.map((c) => c.args.map(argString).join(' ')).join(' | ');
}
