// `sh -c SCRIPT` for the fake runtime (fake-programs.ts explains what it keeps
// of sh's rules). Anything it does not know (pipes, $VAR, if/while) is a
// clear error on the container's stderr and status 2, never a guess.

import type { OutputStream } from '../../src/core/runtime.ts';
import type { FakeProcess } from './fake-programs.ts';

type Target = OutputStream | null;
type Tok = { t: 'word'; v: string } | { t: 'op'; v: ';' | '&' | '&&' | '||' } | { t: 'redir'; from: OutputStream; to: Target | '&1' | '&2' };
interface Cmd { words: string[]; redirs: Array<{ from: OutputStream; to: Target | '&1' | '&2' }> }
interface AndOr { cmds: Cmd[]; ops: Array<'&&' | '||'>; background: boolean }

class Unsupported extends Error {}

/** `$?` is kept as this mark until the command runs. */
const STATUS = '\u0000?';

function tokenize(s: string): Tok[] {
  const toks: Tok[] = [];
  let word: string | null = null;
  const flush = () => {
    if (word !== null) toks.push({ t: 'word', v: word });
    word = null;
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t') { flush(); i++; continue; }
    if (c === '\n' || c === ';') { flush(); toks.push({ t: 'op', v: ';' }); i++; continue; }
    if (c === '&') {
      flush();
      const two = s[i + 1] === '&';
      toks.push({ t: 'op', v: two ? '&&' : '&' });
      i += two ? 2 : 1;
      continue;
    }
    if (c === '|') {
      if (s[i + 1] !== '|') throw new Unsupported('pipes');
      flush();
      toks.push({ t: 'op', v: '||' });
      i += 2;
      continue;
    }
    if (c === '#' && word === null) { while (i < s.length && s[i] !== '\n') i++; continue; }
    if (c === '>') {
      const fd: string | null = word;
      const from: OutputStream = fd === '2' ? 'stderr' : 'stdout';
      if (fd === '1' || fd === '2') word = null;
      else flush();
      i++;
      if (s[i] === '&') {
        const n = s[i + 1];
        if (n !== '1' && n !== '2') throw new Unsupported(`redirection >&${n}`);
        toks.push({ t: 'redir', from, to: `&${n}` });
        i += 2;
        continue;
      }
      while (s[i] === ' ') i++;
      const m = /^[^\s;&|]+/.exec(s.slice(i));
      if (m?.[0] !== '/dev/null') throw new Unsupported(`redirection to ${m?.[0] ?? 'nothing'}`);
      toks.push({ t: 'redir', from, to: null });
      i += m[0].length;
      continue;
    }
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Unsupported('an unterminated quote');
      word = (word ?? '') + s.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (c === '"') {
      let out = '';
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && '"\\$`'.includes(s[i + 1] ?? '')) { out += s[i + 1]; i += 2; continue; }
        if (s[i] === '$') {
          if (s[i + 1] !== '?') throw new Unsupported('variables other than $?');
          out += STATUS;
          i += 2;
          continue;
        }
        out += s[i++];
      }
      if (i >= s.length) throw new Unsupported('an unterminated quote');
      word = (word ?? '') + out;
      i++;
      continue;
    }
    if (c === '\\') { word = (word ?? '') + (s[i + 1] ?? ''); i += 2; continue; }
    if (c === '$') {
      if (s[i + 1] !== '?') throw new Unsupported('variables other than $?');
      word = (word ?? '') + STATUS;
      i += 2;
      continue;
    }
    if ('(){}`<'.includes(c)) throw new Unsupported(`"${c}"`);
    word = (word ?? '') + c;
    i++;
  }
  flush();
  return toks;
}

function parse(toks: Tok[]): AndOr[] {
  const lists: AndOr[] = [];
  const fresh = (): AndOr => ({ cmds: [{ words: [], redirs: [] }], ops: [], background: false });
  let cur = fresh();
  const end = (background: boolean) => {
    if (cur.cmds.some((c) => c.words.length)) lists.push({ ...cur, background });
    cur = fresh();
  };
  for (const tok of toks) {
    const cmd = cur.cmds[cur.cmds.length - 1]!;
    if (tok.t === 'word') cmd.words.push(tok.v);
    else if (tok.t === 'redir') cmd.redirs.push({ from: tok.from, to: tok.to });
    else if (tok.v === ';' || tok.v === '&') end(tok.v === '&');
    else {
      cur.ops.push(tok.v);
      cur.cmds.push({ words: [], redirs: [] });
    }
  }
  end(false);
  return lists;
}

class Shell {
  status = 0;
  readonly #p: FakeProcess;
  readonly #jobs = new Set<Promise<number>>();
  readonly #actions = new Map<number, string>();
  readonly #pending: number[] = [];
  #interrupt: ((sig: number) => void) | null = null;

  constructor(p: FakeProcess) { this.#p = p; }

  async script(text: string): Promise<number> {
    for (const list of parse(tokenize(text))) {
      if (list.background) {
        const job = this.#andOr(list, true);
        this.#jobs.add(job);
        void job.finally(() => this.#jobs.delete(job)).catch(() => {});
      } else {
        this.status = await this.#andOr(list, false);
      }
      await this.#runTraps();
    }
    return this.status;
  }

  async #andOr(list: AndOr, background: boolean): Promise<number> {
    let status = await this.#cmd(list.cmds[0]!, background);
    for (let i = 0; i < list.ops.length; i++) {
      if ((list.ops[i] === '&&') === (status === 0)) status = await this.#cmd(list.cmds[i + 1]!, background);
    }
    return status;
  }

  async #cmd(c: Cmd, background: boolean): Promise<number> {
    const p = this.#p;
    const words = c.words.map((w) => w.replaceAll(STATUS, String(this.status)));
    if (words.length === 0) return this.status;
    const fds = { ...p.fds };
    for (const r of c.redirs) fds[r.from] = r.to === '&1' ? fds.stdout : r.to === '&2' ? fds.stderr : r.to;
    const [name, ...args] = words as [string, ...string[]];
    switch (name) {
      case 'exit': return p.exit(args[0] === undefined ? this.status : Number(args[0]) & 255);
      case 'trap': return this.#trap(args);
      case 'wait': return this.#wait();
      case 'true': case ':': return 0;
      case 'false': return 1;
      case 'echo': {
        const saved = p.fds;
        p.fds = fds;
        try {
          const n = args[0] === '-n';
          await p.write('stdout', args.slice(n ? 1 : 0).join(' ') + (n ? '' : '\n'));
        } finally {
          p.fds = saved;
        }
        return 0;
      }
      case 'exec':
        if (args.length === 0) return 0;
        p.fds = fds;
        return p.exit(await p.exec(args));
    }
    const child = p.spawn(words, fds);
    return background ? child.done : p.wait(child.done);
  }

  async #trap(args: string[]): Promise<number> {
    const [action, ...sigs] = args;
    if (action === undefined || sigs.length === 0) throw new Unsupported('trap without an action and signals');
    for (const name of sigs) {
      if (/^(0|EXIT)$/i.test(name)) throw new Unsupported('trap on EXIT');
      if (action === '') this.#p.trap(name, 'ignore');
      else if (action === '-') this.#p.trap(name, 'default');
      else {
        this.#p.trap(name, (sig) => {
          this.#actions.set(sig, action);
          this.#pending.push(sig);
          this.#interrupt?.(sig);
        });
      }
    }
    return 0;
  }

  /** `wait`: every background job, or until a trapped signal arrives (128+n, like sh). */
  async #wait(): Promise<number> {
    const all = Promise.all(this.#jobs).then((codes) => codes.at(-1) ?? 0);
    const interrupted = new Promise<number>((r) => { this.#interrupt = (sig) => r(128 + sig); });
    try {
      return await this.#p.wait(Promise.race([all, interrupted]));
    } finally {
      this.#interrupt = null;
    }
  }

  async #runTraps(): Promise<void> {
    for (let sig = this.#pending.shift(); sig !== undefined; sig = this.#pending.shift()) {
      const saved = this.status;
      await this.script(this.#actions.get(sig) ?? '');
      this.status = saved;
    }
  }
}

export async function runShell(p: FakeProcess): Promise<number> {
  if (p.args[1] !== '-c' || p.args[2] === undefined) {
    await p.write('stderr', 'sh: the fake runtime runs only `sh -c SCRIPT`\n');
    return 2;
  }
  try {
    return await new Shell(p).script(p.args[2]);
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
    await p.write('stderr', `sh: ${err.message} not implemented by the fake runtime's sh\n`);
    return 2;
  }
}
