import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Template } from '../../../src/cli/format/template.ts';
import { GO_TYPE } from '../../../src/cli/format/gofmt.ts';

const data = {
  Id: 'abc123',
  Name: '/web',
  State: { Status: 'running', Running: true, Pid: 42, ExitCode: 0, Health: null },
  Config: {
    Env: ['PATH=/usr/bin', 'A=b c'],
    Labels: { 'com.x': '1', b: 'two' },
    Cmd: ['sh', '-c', 'echo'],
    Entrypoint: null,
    Tty: false,
  },
  Mounts: [],
  Size: 1234,
  Ratio: 0.5,
};

function run(src: string, d: unknown = data, missingKey: 'default' | 'error' = 'default'): string {
  return new Template(src).execute(d, { missingKey });
}

test('fields, nested paths and Go printing of values', () => {
  assert.equal(run('{{.Id}}'), 'abc123');
  assert.equal(run('{{.State.Status}} {{.State.Pid}} {{.State.Running}}'), 'running 42 true');
  assert.equal(run('{{.Config.Env}}'), '[PATH=/usr/bin A=b c]');
  assert.equal(run('{{.Config.Labels}}'), 'map[b:two com.x:1]');
  assert.equal(run('{{.Mounts}}'), '[]');
  assert.equal(run('{{.Config.Entrypoint}}'), '<nil>');
  assert.equal(run('{{.Ratio}}'), '0.5');
  assert.equal(run('{{.Nope}}'), '<no value>');
  assert.equal(run('{{.}}', 'x'), 'x');
});

test('json, index, join, upper, lower, split, title, pad, truncate, len', () => {
  assert.equal(run('{{json .Config.Env}}'), '["PATH=/usr/bin","A=b c"]');
  assert.equal(run('{{json .Config.Labels}}'), '{"b":"two","com.x":"1"}');
  assert.equal(run('{{json .State}}'), '{"Status":"running","Running":true,"Pid":42,"ExitCode":0,"Health":null}');
  assert.equal(run('{{json .Nope}}'), 'null');
  assert.equal(run('{{json "<&>"}}'), '"<&>"');
  assert.equal(run('{{index .Config.Labels "b"}}'), 'two');
  assert.equal(run('[{{index .Config.Labels "missing"}}]'), '[]');
  assert.equal(run('{{index .Config.Env 1}}'), 'A=b c');
  assert.equal(run('{{join .Config.Cmd " "}}'), 'sh -c echo');
  assert.equal(run('{{upper .State.Status}}{{lower "ABC"}}'), 'RUNNINGabc');
  assert.equal(run('{{split "a,b,c" ","}}'), '[a b c]');
  assert.equal(run('{{title "hello world"}}'), 'Hello World');
  assert.equal(run('[{{pad .Name 1 2}}][{{pad "" 1 1}}]'), '[ /web  ][]');
  assert.equal(run('{{truncate .Id 3}}'), 'abc');
  assert.equal(run('{{len .Config.Env}} {{len .Config.Labels}} {{len .Id}}'), '2 2 6');
});

test('range, with, if/else if/else, variables, break and continue', () => {
  assert.equal(run('{{range .Config.Env}}{{.}};{{end}}'), 'PATH=/usr/bin;A=b c;');
  assert.equal(run('{{range $i, $e := .Config.Cmd}}{{$i}}={{$e}} {{end}}'), '0=sh 1=-c 2=echo ');
  assert.equal(run('{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}},{{end}}'), 'b:two,com.x:1,');
  assert.equal(run('{{range .Mounts}}x{{else}}none{{end}}'), 'none');
  assert.equal(run('{{range .Config.Cmd}}{{if eq . "-c"}}{{continue}}{{end}}{{if eq . "echo"}}{{break}}{{end}}{{.}}{{end}}'), 'sh');
  assert.equal(run('{{with .State}}{{.Pid}}{{end}}'), '42');
  assert.equal(run('{{with .Mounts}}x{{else}}empty{{end}}'), 'empty');
  assert.equal(run('{{if .State.Running}}up{{else}}down{{end}}'), 'up');
  assert.equal(run('{{if eq .State.Status "exited"}}E{{else if eq .State.Status "running"}}R{{else}}?{{end}}'), 'R');
  assert.equal(run('{{$n := .Name}}{{$n}}{{$n = "x"}}{{$n}}'), '/webx');
  assert.equal(run('{{range $x := .Config.Cmd}}{{$.Name}}{{end}}'), '/web/web/web');
  assert.equal(run('{{range 3}}{{.}}{{end}}'), '012');
});

test('comparison and logic builtins; printf and println', () => {
  assert.equal(run('{{and .State.Running .Name}} {{or .Nope "dflt"}} {{not .Config.Tty}}'), '/web dflt true');
  assert.equal(run('{{if and (eq .State.Pid 42) (ne .Name "")}}ok{{end}}'), 'ok');
  assert.equal(run('{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}'), 'true true true false');
  assert.equal(run('{{eq .State.Status "a" "running"}}'), 'true');
  assert.equal(run('{{printf "%s has pid %d (%q) %5s|%-4d|%x" .Name .State.Pid "q" "r" 7 255}}'), '/web has pid 42 ("q")     r|7   |ff');
  assert.equal(run('{{println .Name 1}}'), '/web 1\n');
  assert.equal(run('{{print "a" 1 2 "b"}}'), 'a1 2b');
  assert.equal(run('{{printf "%s" 1 2}}'), '%!s(int=1)%!(EXTRA int=2)');
  // %q as Go's strconv.Quote: printable ASCII as is, other non-printable runes escaped.
  assert.equal(run('{{printf "%q" "a b~\\u00a0\\u00e9\\u2028\\u0085"}}'), '"a b~\\u00a0é\\u2028\\u0085"');
  assert.equal(run('{{printf "%d"}} {{printf "%d" "x"}}'), '%!d(MISSING) %!d(string=x)');
  assert.equal(run('{{.Name | printf "%s!"}}'), '/web!');
  assert.equal(run('{{"x" | printf "%s%s" "y"}}'), 'yx');
});

test('whitespace trimming, comments, raw strings', () => {
  assert.equal(run('a  {{- .Name -}}  b'), 'a/webb');
  assert.equal(run('{{/* ignored */}}x{{- /* trimmed */ -}} y'), 'xy');
  assert.equal(run('{{`raw\\n`}}'), 'raw\\n');
  assert.equal(run('{{"tab\\there"}}'), 'tab\there');
});

test('typed nils print as docker prints its typed inspect structs', async () => {
  const { withTypedNils } = await import('../../../src/cli/commands/inspect.ts');
  const doc = withTypedNils({ Config: { Entrypoint: null, Volumes: null, Labels: null }, State: { Health: null } });
  assert.equal(run('{{.Config.Entrypoint}} {{.Config.Volumes}} {{.State.Health}}', doc), '[] map[] <nil>');
  assert.equal(run('{{json .Config.Entrypoint}} {{len .Config.Entrypoint}} [{{index .Config.Labels "x"}}]', doc), 'null 0 []');
  assert.equal(run('{{range .Config.Entrypoint}}x{{else}}none{{end}} {{if .Config.Volumes}}y{{else}}n{{end}}', doc), 'none n');
});

test('typed contexts: methods with arguments, unknown fields are errors', () => {
  const ctx = { [GO_TYPE]: '*formatter.ContainerContext', ID: 'abc', Label: (k: unknown) => (k === 'x' ? 'y' : '') };
  assert.equal(run('{{.ID}} {{.Label "x"}}', ctx), 'abc y');
  assert.throws(() => run('{{.Nope}}', ctx), /template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type \*formatter.ContainerContext/);
  assert.equal(run('{{json .}}', ctx), '{"ID":"abc"}');
});

test('missingkey=error and evaluation errors name the position', () => {
  // Messages and positions as docker's Go templates print them for the same data.
  assert.throws(() => run('{{.Config.Nope}}', data, 'error'), /^TemplateExecError: template: :1:9: executing "" at <.Config.Nope>: map has no entry for key "Nope"$/);
  assert.throws(() => run('{{.State.Health.Status}}'), /template: :1:8: executing "" at <.State.Health.Status>: nil pointer evaluating interface \{\}.Status$/);
  assert.throws(() => run('x\n {{index .Config.Env 5}}'), /template: :2:3: executing "" at <index .Config.Env 5>: error calling index: index out of range: 5$/);
  assert.throws(() => run('{{upper .Config.Env}}'), /template: :1:15: executing "" at <.Config.Env>: wrong type for value; expected string; got \[\]interface \{\}$/);
  assert.throws(() => run('{{eq .State.Pid "42"}}'), /incompatible types for comparison/);
});

test('parse errors read like Go', () => {
  assert.throws(() => new Template('{{.Foo'), /^TemplateParseError: template: :1: unclosed action$/);
  assert.throws(() => new Template('{{foo .}}'), /template: :1: function "foo" not defined/);
  assert.throws(() => new Template('{{end}}'), /unexpected \{\{end\}\}/);
  assert.throws(() => new Template('{{if .A}}x'), /unexpected EOF/);
  assert.throws(() => new Template('{{$x}}'), /undefined variable "\$x"/);
  assert.throws(() => new Template('{{break}}'), /\{\{break\}\} outside \{\{range\}\}/);
  assert.throws(() => new Template('{{.A | "x"}}'), /non executable command in pipeline stage 2/);
  assert.throws(() => new Template('a\n{{.A}'), /template: :2: bad character U\+007D '\}'/);
});
