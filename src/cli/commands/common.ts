// Flags and helpers several commands share.

import type { FlagSpec } from '../flags.ts';
import { validateFilter } from '../options/filters.ts';

export const FORMAT_HELP = [
  'Format output using a custom template:',
  "'table':            Print output in table format with column headers (default)",
  "'table TEMPLATE':   Print output in table format using the given Go template",
  "'json':             Print in JSON format",
  "'TEMPLATE':         Print output using the given Go template.",
  'Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates',
].join('\n');

export const INSPECT_FORMAT_HELP = [
  'Format output using a custom template:',
  "'json':             Print in JSON format",
  "'TEMPLATE':         Print output using the given Go template.",
  'Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates',
].join('\n');

export const formatFlag: FlagSpec = { name: 'format', type: 'string', usage: FORMAT_HELP };

export const filterFlag: FlagSpec = {
  name: 'filter', short: 'f', type: 'filter', usage: 'Filter output based on conditions provided', validate: validateFilter,
};

/** The prune commands' --filter: no shorthand there (-f is --force). */
export const pruneFilterFlag: FlagSpec = {
  name: 'filter', type: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")', validate: validateFilter,
};

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs fn over items, at most `limit` at a time, results in input order (docker's parallelOperation). */
export async function settleInOrder<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, limit = 50): Promise<Settled<R>[]> {
  const results: Settled<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { ok: true, value: await fn(items[i]) };
      } catch (error) {
        results[i] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function list(v: unknown): string[] {
  return Array.isArray(v) ? (v as string[]) : [];
}
