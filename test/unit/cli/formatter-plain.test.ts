// Formats of text and {{.Field}} only (the default tables of ps, history...)
// are printed without the template engine where every field is a string
// (formatter.ts renderPlain); the output must be the engine's, and anything
// else must be left to the engine.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPlain, renderTemplate } from '../../../src/cli/format/formatter.ts';
import { CONTAINER_HEADER, HISTORY_HEADER, containerContext, historyContext } from '../../../src/cli/format/contexts.ts';
import { containerFormat } from '../../../src/cli/commands/ps.ts';
import { containers, history } from './fixtures.ts';
import { goTimeString } from '../../../src/cli/format/display.ts';
import type { ContainerSummary, HistoryItem } from '../../../src/client/index.ts';

const NOW = Date.UTC(2026, 11, 6) / 1000;

test('plain formats print what the template engine prints', () => {
  const ctrs = containers(NOW) as unknown as ContainerSummary[];
  const cases: [string, unknown[], Record<string, string>][] = [];
  for (const trunc of [true, false]) {
    const rows = ctrs.map((c) => containerContext(c, { trunc, now: NOW * 1000 }));
    for (const [quiet, size] of [[false, false], [false, true], [true, false]]) cases.push([containerFormat('', quiet, size), rows, CONTAINER_HEADER]);
    cases.push(['table {{.Names}}\\t{{.Status}}  {{.ID}}', rows, CONTAINER_HEADER]);
    cases.push(['{{.ID}}: {{.Names}} }} {', rows, CONTAINER_HEADER]);
    cases.push(['table {{.Names}}', [], CONTAINER_HEADER]);
  }
  const hist = (history(NOW) as unknown as HistoryItem[]).map((h) => historyContext(h, true, true, NOW * 1000));
  cases.push(['table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}', hist, HISTORY_HEADER]);
  for (const [format, items, header] of cases) {
    const plain = renderPlain(format, items, header);
    assert.notEqual(plain, undefined, `${format}: plain`);
    assert.equal(plain, renderTemplate(format, items, header), format);
  }
});

test('anything else is left to the template engine', () => {
  const rows = (containers(NOW) as unknown as ContainerSummary[]).map((c) => containerContext(c, { trunc: true, now: NOW * 1000 }));
  for (const format of [
    containerFormat('raw', false, false), // pad
    'table {{ .ID }}', '{{.ID | printf "%s"}}', '{{- .ID}}', '{{/* c */}}{{.ID}}', '{{json .}}', 'json',
    '{{.Nope}}', // an unknown field is the engine's error
  ]) {
    assert.equal(renderPlain(format, rows, CONTAINER_HEADER), undefined, format);
  }
  // A header with no title for a column: the engine prints what it prints there.
  assert.equal(renderPlain('table {{.ID}}\\t{{.Mystery}}', [], CONTAINER_HEADER), undefined);
  // Map items: a missing key is the engine's "<no value>", a number its formatting.
  assert.equal(renderPlain('{{.a}}', [{ a: 1 }], {}), undefined);
  assert.equal(renderPlain('{{.b}}', [{ a: 'x' }], {}), undefined);
  assert.equal(renderPlain('{{.a}}-', [{ a: 'x' }], {}), renderTemplate('{{.a}}-', [{ a: 'x' }], {}));
});

test('container rows: CreatedAt formatted when read, image cells kept by image and ID', () => {
  const [web, byId, alpine] = containers(NOW) as unknown as ContainerSummary[];
  const row = containerContext(web!, { trunc: true, now: NOW * 1000 });
  assert.equal(row.CreatedAt, goTimeString(web!.Created));
  assert.match(renderTemplate('{{json .}}', [row], CONTAINER_HEADER), /"CreatedAt":"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} /);
  assert.equal(renderTemplate('{{.CreatedAt}}', [row], CONTAINER_HEADER), `${goTimeString(web!.Created)}\n`);
  // The same image text under another image ID is not the cell kept for the first.
  assert.equal(containerContext(byId!, { trunc: true }).Image, 'beae173ccac6');
  assert.notEqual(containerContext({ ...byId!, ImageID: 'sha256:2222' }, { trunc: true }).Image, 'beae173ccac6');
  assert.equal(containerContext(byId!, { trunc: true }).Image, 'beae173ccac6');
  assert.equal(containerContext(alpine!, { trunc: true }).Image, 'alpine:3.19');
  assert.equal(containerContext(alpine!, { trunc: false }).Image, alpine!.Image);
});
