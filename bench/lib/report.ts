// Writing results into docs/benchmarks.md: each benchmark owns one section
// between HTML comment markers, replaced in place on every run so the other
// benchmarks' sections stay as they are.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { run } from '../../test/helpers/run.ts';

const HEADER = `# Benchmarks

Numbers measured by the scripts in \`bench/\` (see \`bench/README.md\`), with
the real Docker started beside berth in the same run wherever it can be.
Absolute times on these shared machines drift from run to run: compare the
ratios, and the figures of one run with each other.
`;

export function replaceSection(doc: string, id: string, body: string): string {
  const start = `<!-- bench:${id}:start -->`;
  const end = `<!-- bench:${id}:end -->`;
  const block = `${start}\n${body.trimEnd()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) return doc.slice(0, i) + block + doc.slice(j + end.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

export function writeSection(file: string, id: string, body: string): void {
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  writeFileSync(file, replaceSection(doc, id, body).replace(/\n*$/, '\n'));
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memGiB: number;
  kernel: string;
  node: string;
  dockerCli: string;
}

export async function describeMachine(dockerCli: string): Promise<Machine> {
  const cli = await run(dockerCli, ['version', '-f', '{{.Client.Version}}'], { env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent' } })
    .catch(() => null);
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    dockerCli: cli?.stdout.trim() || 'unknown',
  };
}

export function fmtMs(ms: number | undefined): string {
  return ms === undefined ? 'n/a' : `${ms.toFixed(1)} ms`;
}

export function fmtMiB(kib: number | undefined): string {
  return kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(1)} MiB`;
}

export function fmtRatio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`;
}
