// `HEALTHCHECK` in `docker commit --change` / `docker import --change`:
// [--interval=D --timeout=D --start-period=D --start-interval=D --retries=N]
// CMD <command> | CMD ["exe", "arg"] | NONE. As dockerd's commit, the new
// check is laid over the one already in the config: the fields it leaves
// unset keep their value (`HEALTHCHECK NONE` keeps the old timings).

import { invalid } from '../core/errors.ts';
import { parseGoDuration } from '../core/duration.ts';
import type { ImageRunConfig } from '../core/image.ts';

type DockerHealthConfig = NonNullable<ImageRunConfig['Healthcheck']>;

const DURATIONS: Record<string, 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval'> = {
  interval: 'Interval', timeout: 'Timeout', 'start-period': 'StartPeriod', 'start-interval': 'StartInterval',
};

export function healthcheckChange(rest: string, previous: ImageRunConfig['Healthcheck']): DockerHealthConfig {
  let s = rest;
  const hc: DockerHealthConfig = {};
  for (let m = /^--([^=\s]+)=(\S*)\s*/.exec(s); m; m = /^--([^=\s]+)=(\S*)\s*/.exec(s)) {
    s = s.slice(m[0].length);
    const [, name, value] = m as unknown as [string, string, string];
    if (name === 'retries') {
      const n = Number(value);
      if (!/^-?\d+$/.test(value)) throw invalid(`--retries must be a non-negative integer, not ${value}`);
      if (n < 0) throw invalid(`--retries cannot be negative (${n})`);
      hc.Retries = n;
    } else if (DURATIONS[name]) {
      let ns: number;
      try { ns = parseGoDuration(value); } catch (err) { throw invalid((err as Error).message); }
      // dockerd's parseOptInterval: an interval given must be at least 1ms.
      if (ns < 1e6) throw invalid(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
      hc[DURATIONS[name]!] = ns;
    } else {
      throw invalid(`Unknown flag: ${name}`);
    }
  }
  const m = /^(\S+)\s*([\s\S]*)$/.exec(s);
  if (!m) throw invalid('HEALTHCHECK requires an argument');
  const type = m[1]!.toUpperCase();
  const args = m[2]!.trim();
  if (type === 'NONE') {
    if (args) throw invalid('HEALTHCHECK NONE takes no arguments');
    hc.Test = ['NONE'];
  } else if (type === 'CMD') {
    if (!args) throw invalid('Missing command after HEALTHCHECK CMD');
    const exec = jsonStrings(args);
    hc.Test = exec ? ['CMD', ...exec] : ['CMD-SHELL', args];
  } else {
    throw invalid(`Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  }
  const out: DockerHealthConfig = { ...(previous ?? {}) };
  for (const [k, v] of Object.entries(hc) as Array<[keyof DockerHealthConfig, never]>) out[k] = v;
  return out;
}

function jsonStrings(text: string): string[] | null {
  if (!text.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch { /* shell form */ }
  return null;
}
