// `docker ps --filter` semantics: values of one key are OR-ed, keys are AND-ed.

import type { ContainerFilters, ContainerRecord } from '../../core/container.ts';
import { invalid } from '../../core/errors.ts';

const healthValues = new Set(['starting', 'healthy', 'unhealthy', 'none']);
const statuses = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

function labelMatches(labels: Record<string, string>, want: string): boolean {
  const i = want.indexOf('=');
  if (i < 0) return Object.hasOwn(labels, want);
  const k = want.slice(0, i);
  return Object.hasOwn(labels, k) && labels[k] === want.slice(i + 1);
}

export function validateFilters(f: ContainerFilters): void {
  for (const s of f.status ?? []) {
    if (!statuses.has(s)) throw invalid(`invalid filter 'status=${s}'`);
  }
  for (const h of f.health ?? []) {
    if (!healthValues.has(h)) throw invalid(`Unrecognised filter value for health: ${h}`);
  }
  for (const e of f.exited ?? []) {
    if (!/^-?\d+$/.test(e)) throw invalid(`invalid filter 'exited=${e}'`);
  }
}

export interface FilterContext {
  /** Image IDs that an `ancestor` value names (resolved by the caller). */
  ancestorIds?: Set<string>;
  beforeCreated?: string;
  sinceCreated?: string;
}

export function matchesFilters(rec: ContainerRecord, f: ContainerFilters, ctx: FilterContext): boolean {
  if (f.id?.length && !f.id.some((p) => rec.id.startsWith(p))) return false;
  // Docker matches names as a regular expression, against "/name" and "name" (so "^web$" is exactly web).
  if (f.name?.length && !f.name.some((p) => {
    try {
      const re = new RegExp(p);
      return re.test('/' + rec.name) || re.test(rec.name);
    } catch {
      return ('/' + rec.name).includes(p);
    }
  })) return false;
  if (f.label?.length && !f.label.every((l) => labelMatches(rec.config.labels, l))) return false;
  if (f.status?.length && !f.status.includes(rec.state.status)) return false;
  if (f.exited?.length && !(rec.state.status === 'exited' && f.exited.some((e) => Number(e) === rec.state.exitCode))) return false;
  if (ctx.ancestorIds && !ctx.ancestorIds.has(rec.imageId)) return false;
  if (f.health?.length && !f.health.includes(rec.state.health?.status ?? 'none')) return false;
  // dockerd: a mount's destination, or its volume name (a bind's source when it has none).
  if (f.volume?.length && !rec.mounts.some((m) => f.volume!.includes(m.destination) || f.volume!.includes(m.name || m.source))) return false;
  if (ctx.beforeCreated && !(rec.created < ctx.beforeCreated)) return false;
  if (ctx.sinceCreated && !(rec.created > ctx.sinceCreated)) return false;
  return true;
}
