// --env-file and --label-file, read as docker's kvfile.Parse: one KEY=VALUE
// per line, "#" comments, a leading UTF-8 BOM dropped, leading whitespace
// trimmed, no whitespace in keys; a bare KEY takes its value from the
// environment (env files) or is dropped (label files and unset variables).

import { readFileSync } from 'node:fs';

export type Lookup = (key: string) => string | undefined;

export function parseKeyValueText(text: string, lookup?: Lookup): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (i === 0 && line.startsWith('\uFEFF')) line = line.slice(1);
    line = line.replace(/^[\s\u0085\u00a0]+/u, '');
    if (line.length === 0 || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq >= 0 ? line.slice(0, eq) : line;
    if (key.length === 0) throw new Error(`no variable name on line '${line}'`);
    if (/[ \t]/.test(key)) throw new Error(`variable '${key}' contains whitespaces`);
    if (eq >= 0) {
      out.push(line);
      return;
    }
    if (lookup) {
      const value = lookup(line);
      if (value !== undefined) out.push(`${key}=${value}`);
    }
  });
  return out;
}

function openError(path: string, err: NodeJS.ErrnoException): Error {
  const reason = err.code === 'ENOENT' ? 'no such file or directory'
    : err.code === 'EACCES' ? 'permission denied'
    : err.code === 'EISDIR' ? 'is a directory' : err.message;
  return new Error(`open ${path}: ${reason}`);
}

export function parseKeyValueFile(path: string, lookup?: Lookup): string[] {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw openError(path, err as NodeJS.ErrnoException);
  }
  try {
    // Like bufio.Scanner + utf8.Valid: report the first line that is not UTF-8.
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let start = 0;
    for (let line = 1; start < buf.length; line++) {
      let end = buf.indexOf(0x0a, start);
      if (end < 0) end = buf.length;
      const bytes = buf.subarray(start, end);
      try {
        decoder.decode(bytes);
      } catch {
        throw new Error(`invalid utf8 bytes at line ${line}: [${[...bytes].join(' ')}]`);
      }
      start = end + 1;
    }
    return parseKeyValueText(buf.toString('utf8'), lookup);
  } catch (err) {
    throw new Error(`invalid env file (${path}): ${(err as Error).message}`);
  }
}

/** opts.ReadKVEnvStrings: env files first, then -e values, in order. */
export function readEnv(files: readonly string[], overrides: readonly string[], env: Record<string, string | undefined>): string[] {
  const lookup: Lookup = (k) => env[k];
  return [...files.flatMap((f) => parseKeyValueFile(f, lookup)), ...overrides];
}

/** opts.ReadKVStrings: label files (bare keys dropped), then -l values. */
export function readLabels(files: readonly string[], overrides: readonly string[]): string[] {
  return [...files.flatMap((f) => parseKeyValueFile(f)), ...overrides];
}

/** opts.ValidateEnv for -e: a bare KEY takes its value from the environment when set. */
export function expandEnvValue(value: string, env: Record<string, string | undefined>): string {
  const eq = value.indexOf('=');
  const key = eq >= 0 ? value.slice(0, eq) : value;
  if (key === '') throw new Error(`invalid environment variable: ${value}`);
  if (eq >= 0) return value;
  const v = env[key];
  return v !== undefined ? `${key}=${v}` : value;
}

/** opts.ConvertKVStringsToMap */
export function kvToMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i < 0) out[v] = '';
    else out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}
