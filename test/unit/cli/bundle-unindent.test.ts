// scripts/bundle-cli.ts drops the indentation of the transpiled code, never
// the white space inside a literal (a template's lines, a continued string).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { isLiteral, unindent } from '../../../scripts/bundle-cli.ts';

const REPO = join(import.meta.dirname, '../../..');

/** The texts of the literals and templates in `code`, in order. */
function literalTexts(code: string): string[] {
  const sf = ts.createSourceFile('m.js', code, ts.ScriptTarget.ES2024, true, ts.ScriptKind.JS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (isLiteral(node.kind)) out.push(node.getText(sf));
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

test('unindent strips line indentation outside literals only', () => {
  const code = 'function f() {\n    const a = `x\n    y ${1 +\n        2}\n  z`;\n    const b = "p\\\n    q";\n    return a + b;\n}\n';
  const out = unindent(code);
  assert.equal(out, 'function f() {\nconst a = `x\n    y ${1 +\n2}\n  z`;\nconst b = "p\\\n    q";\nreturn a + b;\n}\n');
  assert.deepEqual(literalTexts(out), literalTexts(code));
  assert.equal(new Function(`${out}; return f();`)(), new Function(`${code}; return f();`)());
});

test('the CLI modules keep every literal through unindent', () => {
  for (const id of ['src/cli/app.ts', 'src/cli/flags.ts', 'src/cli/commands/build.ts', 'src/cli/format/template-exec.ts', 'src/client/lite-http.ts']) {
    const js = ts.transpileModule(readFileSync(join(REPO, id), 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2024 } }).outputText;
    const out = unindent(js);
    assert.ok(out.length < js.length, id);
    assert.deepEqual(literalTexts(out), literalTexts(js), id);
  }
});
