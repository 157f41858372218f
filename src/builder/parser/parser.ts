// The Dockerfile's lines to instructions, as Docker's parser reads them:
//
//   - parser directives (`# syntax=`, `# escape=`, `# check=`) only at the
//     very top, before any blank line, comment or instruction; each once;
//   - comments (`#` first on a line) and blank lines are dropped, also in
//     the middle of a continued instruction;
//   - the escape character (`\` or `` ` ``) at the end of a line continues
//     the instruction on the next one;
//   - RUN, COPY and ADD may open heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`):
//     the lines after the instruction, up to the delimiter alone on a line,
//     are its content (`<<-` strips leading tabs; a quoted delimiter turns
//     expansion off);
//   - `--name=value` words right after the keyword are the instruction's
//     flags.
// Every instruction keeps its first and last line for error messages.

import { invalid } from '../../core/errors.ts';

export interface Heredoc {
  name: string;
  content: string;
  /** False when the delimiter was quoted: no variable expansion. */
  expand: boolean;
}

export interface Instruction {
  /** Lower-case keyword. */
  cmd: string;
  /** The instruction as written, continuation lines joined (Docker's Original). */
  original: string;
  /** Everything after the keyword and the flags. */
  args: string;
  /** Raw flags, e.g. "--from=build". */
  flags: string[];
  heredocs: Heredoc[];
  line: number;
  endLine: number;
}

export interface Directives {
  syntax?: string;
  escape: string;
  check?: string;
}

export interface ParsedDockerfile {
  directives: Directives;
  instructions: Instruction[];
  warnings: string[];
}

export const KNOWN = new Set([
  'add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label', 'maintainer',
  'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir',
]);

const HEREDOC_CMDS = new Set(['run', 'copy', 'add']);

export function parseError(line: number, msg: string): Error {
  return invalid(`dockerfile parse error on line ${line}: ${msg}`);
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/;

export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const directives: Directives = { escape: '\\' };
  const seen = new Set<string>();
  const warnings: string[] = [];
  let i = 0;
  // Directives: only at the top, each once; an unknown one ends the section silently (Docker treats it as a comment).
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (key !== 'syntax' && key !== 'escape' && key !== 'check') break;
    if (seen.has(key)) throw parseError(i + 1, `only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw parseError(i + 1, `invalid escape token '${m[2]}' does not match ${'`'} or \\`);
      directives.escape = m[2];
    } else {
      directives[key] = m[2];
    }
  }
  const esc = directives.escape;
  const continuation = new RegExp(`${esc === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const instructions: Instruction[] = [];
  while (i < lines.length) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) { i++; continue; }
    const start = i;
    let logical = '';
    let cur = raw.replace(/^\s+/, '');
    let emptyContinuation = false;
    for (;;) {
      if (continuation.test(cur)) {
        logical += cur.replace(continuation, '');
        i++;
        // Skip comments and blank lines inside a continued instruction.
        while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.trim().startsWith('#'))) {
          if (lines[i]!.trim() === '') emptyContinuation = true;
          i++;
        }
        if (i >= lines.length) break;
        cur = lines[i]!; // continuation lines keep their leading whitespace, as in Docker
        continue;
      }
      logical += cur;
      i++;
      break;
    }
    if (emptyContinuation) warnings.push(`[WARNING]: Empty continuation line found in instruction on line ${start + 1}: empty continuation lines will become errors in a future release`);
    const endLine = i;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(logical.trim());
    if (!m) continue;
    const cmd = m[1]!.toLowerCase();
    if (!KNOWN.has(cmd)) throw parseError(start + 1, `unknown instruction: ${m[1]}`);
    const { flags, rest } = splitFlags(m[2]!);
    const heredocs: Heredoc[] = [];
    if (HEREDOC_CMDS.has(cmd)) {
      for (const h of heredocMarkers(rest)) {
        const body: string[] = [];
        let closed = false;
        while (i < lines.length) {
          const l = lines[i]!;
          i++;
          const cmp = h.chomp ? l.replace(/^\t+/, '') : l;
          if (cmp === h.name) { closed = true; break; }
          body.push(cmp);
        }
        if (!closed) throw parseError(start + 1, `unterminated heredoc ${h.name}: no line "${h.name}" before the end of the file`);
        heredocs.push({ name: h.name, content: body.length ? `${body.join('\n')}\n` : '', expand: h.expand });
      }
    }
    instructions.push({
      cmd, original: logical.trim(), args: rest, flags, heredocs, line: start + 1, endLine: heredocs.length ? i : endLine,
    });
  }
  return { directives, instructions, warnings };
}

/** Leading `--flag[=value]` words (quotes in values allowed); "--" alone ends them. */
function splitFlags(s: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let rest = s;
  for (;;) {
    const m = /^--(?:[^\s"']|"[^"]*"|'[^']*')*/.exec(rest);
    if (!m || m[0] === '--' && /^--(\s|$)/.test(rest)) {
      if (m && m[0] === '--') rest = rest.slice(2).trimStart();
      break;
    }
    flags.push(m[0].replace(/"([^"]*)"|'([^']*)'/g, (_a, d: string | undefined, q: string | undefined) => d ?? q ?? ''));
    rest = rest.slice(m[0].length).trimStart();
  }
  return { flags, rest };
}

interface Marker { name: string; chomp: boolean; expand: boolean }

/** The heredoc openers on an instruction line, in order. */
export function heredocMarkers(args: string): Marker[] {
  const out: Marker[] = [];
  const re = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\2/g;
  for (let m = re.exec(args); m; m = re.exec(args)) {
    out.push({ name: m[3]!, chomp: m[1] === '-', expand: m[2] === '' });
  }
  return out;
}
