// The Dockerfile parser on the tricky syntax: directives, continuations,
// comments, heredocs, flags, JSON vs shell forms, variable substitution,
// and errors that name the line.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDockerfile } from '../../../src/builder/parser/parser.ts';
import { parse } from '../../../src/builder/parser/instructions.ts';
import { ShellLex } from '../../../src/builder/parser/shell-lex.ts';

test('directives only at the top; escape changes continuation', () => {
  const p = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM busybox\nRUN echo a `\n  b\n');
  assert.equal(p.directives.syntax, 'docker/dockerfile:1');
  assert.equal(p.directives.escape, '`');
  assert.equal(p.directives.check, 'skip=all');
  assert.equal(p.instructions[1]!.args, 'echo a   b');
  const late = parseDockerfile('FROM busybox\n# escape=`\nRUN echo \\\n  x\n');
  assert.equal(late.directives.escape, '\\', 'a directive after an instruction is a comment');
  assert.equal(late.instructions[1]!.args, 'echo   x');
  assert.throws(() => parseDockerfile('# escape=x\nFROM a\n'), /line 1: invalid escape token/);
  assert.throws(() => parseDockerfile('# escape=`\n# escape=\\\nFROM a\n'), /line 2: only one escape parser directive/);
});

test('continuations skip comments and blank lines; line numbers are the first line', () => {
  const p = parseDockerfile('FROM busybox\n\n# c\nRUN echo one \\\n# inside\n\n    two \\\n  three\nCMD x\n');
  assert.equal(p.instructions[1]!.args, 'echo one     two   three');
  assert.equal(p.instructions[1]!.line, 4);
  assert.equal(p.instructions[2]!.line, 9);
  assert.equal(p.warnings.length, 1);
});

test('heredocs: several per line, <<- strips tabs, quoted delimiter means no expansion', () => {
  const p = parseDockerfile('FROM a\nRUN <<EOF\necho hi\n  echo there\nEOF\nCOPY <<-"A" /a <<B /b\n\tone $X\n\tA\ntwo\nB\nRUN echo $((1<<2))\n');
  const run = p.instructions[1]!;
  assert.deepEqual(run.heredocs, [{ name: 'EOF', content: 'echo hi\n  echo there\n', expand: true }]);
  const copy = p.instructions[2]!;
  assert.deepEqual(copy.heredocs.map((h) => [h.name, h.content, h.expand]), [['A', 'one $X\n', false], ['B', 'two\n', true]]);
  assert.equal(p.instructions[3]!.heredocs.length, 0, 'an arithmetic shift is not a heredoc');
  assert.equal(p.instructions[3]!.line, 11);
  assert.throws(() => parseDockerfile('FROM a\nRUN <<EOF\necho\n'), /line 2: unterminated heredoc EOF/);
});

test('unknown instruction and bad flags name the line', () => {
  assert.throws(() => parse('FROM a\n\nFOO bar\n'), /dockerfile parse error on line 3: unknown instruction: FOO/);
  assert.throws(() => parse('FROM a\nCOPY --bogus=1 a b\n'), /line 2: Unknown flag: bogus/);
  assert.throws(() => parse('FROM a\nCOPY a\n'), /line 2: COPY requires at least two arguments/);
  assert.throws(() => parse('RUN x\n'), /line 1: no build stage/);
  assert.throws(() => parse('FROM a b\n'), /FROM requires either one or three arguments/);
  assert.throws(() => parse('FROM a AS x\nFROM b AS x\n'), /line 2: duplicate stage name "x"/);
  assert.throws(() => parse('FROM a\nHEALTHCHECK FOO x\n'), /Unknown type "FOO"/);
  assert.throws(() => parse('FROM a\nSHELL sh -c\n'), /SHELL requires the arguments to be in JSON form/);
});

test('stages, meta args, flags and forms', () => {
  const df = parse([
    'ARG BASE=busybox', 'FROM --platform=linux/amd64 ${BASE} AS Build', 'ENV A=1 B="two words" C=x\\ y',
    'ENV LEGACY some value', 'COPY --from=build --chown=1:2 --chmod=755 --link --exclude=*.md --exclude=x a b /dst/',
    'RUN --mount=type=cache,target=/c --network=none ["echo", "hi"]', 'CMD echo $HOME', 'HEALTHCHECK --interval=5s CMD ["true"]',
    'FROM scratch', 'ARG X Y=2', 'EXPOSE 80/tcp 443', 'VOLUME ["/a", "/b"]',
  ].join('\n'));
  assert.equal(df.metaArgs[0]!.args[0]!.value, 'busybox');
  const [s0, s1] = df.stages;
  assert.equal(s0!.name, 'build');
  assert.equal(s0!.from.platform, 'linux/amd64');
  assert.equal(s0!.from.image, '${BASE}');
  const env = s0!.steps[0]!;
  assert.ok(env.kind === 'env');
  assert.deepEqual(env.pairs, [['A', '1'], ['B', '"two words"'], ['C', 'x\\ y']]);
  const legacy = s0!.steps[1]!;
  assert.ok(legacy.kind === 'env');
  assert.deepEqual(legacy.pairs, [['LEGACY', 'some value']]);
  const copy = s0!.steps[2]!;
  assert.ok(copy.kind === 'copy');
  assert.deepEqual([copy.from, copy.chown, copy.chmod, copy.link, copy.exclude, copy.sources, copy.dest],
    ['build', '1:2', '755', true, ['*.md', 'x'], ['a', 'b'], '/dst/']);
  const run = s0!.steps[3]!;
  assert.ok(run.kind === 'run');
  assert.deepEqual([run.exec, run.mounts, run.network], [['echo', 'hi'], ['type=cache,target=/c'], 'none']);
  const cmd = s0!.steps[4]!;
  assert.ok(cmd.kind === 'cmd');
  assert.equal(cmd.exec, null);
  const hc = s0!.steps[5]!;
  assert.ok(hc.kind === 'healthcheck');
  assert.deepEqual([hc.test, hc.interval], [['CMD', 'true'], '5s']);
  assert.ok(s1!.steps[0]!.kind === 'arg');
  const vol = s1!.steps[2]!;
  assert.ok(vol.kind === 'volume');
  assert.deepEqual(vol.values, ['/a', '/b']);
});

test('variable substitution', () => {
  const lex = new ShellLex();
  const env = new Map([['A', 'x'], ['E', ''], ['P', '/usr/local/bin.tar.gz']]);
  const w = (s: string) => lex.word(s, env);
  assert.equal(w('$A ${A} "${A}" \'$A\''), 'x x x $A');
  assert.equal(w('${A:-d} ${E:-d} ${E-d} ${U-d} ${U:-d}'), 'x d  d d');
  assert.equal(w('${A:+set} ${E:+set} ${E+set} ${U+set}|'), 'set  set |');
  assert.equal(w('\\$A "\\$A" "a\\b"'), '$A $A a\\b');
  assert.equal(w('${P%.*} ${P%%.*} ${P#*/} ${P##*/}'), '/usr/local/bin.tar /usr/local/bin usr/local/bin.tar.gz bin.tar.gz');
  assert.throws(() => w('${U:?must be set}'), /U: must be set/);
  assert.throws(() => w('${A'), /missing '}'/);
  assert.deepEqual(lex.words('a "b c" $A', env), ['a', 'b c', 'x']);
  const bt = new ShellLex('`');
  assert.equal(bt.word('C:\\dir `$A', env), 'C:\\dir $A');
});
