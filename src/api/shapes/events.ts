// Engine events as docker's event messages, and dockerd's event filters
// (daemon/events/filter.go): type, event, container, image, label, plus the
// per-type name filters for networks and volumes.

import type { EngineEvent } from '../../core/events.ts';
import { exactMatch, fuzzyMatch, labelsMatch, type FilterArgs } from '../filters.ts';
import { versionBelow } from '../version.ts';

export const EVENT_FILTERS = ['type', 'event', 'container', 'image', 'label', 'network', 'volume', 'daemon', 'scope'] as const;

export function toDockerEvent(e: EngineEvent, version: string): Record<string, unknown> {
  const msg: Record<string, unknown> = {};
  // The legacy fields, gone in API 1.52, for containers and images only.
  if (versionBelow(version, '1.52') && (e.type === 'container' || e.type === 'image')) {
    msg.status = e.action;
    msg.id = e.id;
    if (e.type === 'container') msg.from = e.attributes.image ?? '';
  }
  msg.Type = e.type;
  msg.Action = e.action;
  msg.Actor = { ID: e.id, Attributes: e.attributes };
  msg.scope = 'local';
  msg.time = e.time;
  msg.timeNano = e.timeNano;
  return msg;
}

const stripTag = (ref: string): string => {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
};

function fuzzyName(f: FilterArgs, key: string, e: EngineEvent): boolean {
  if (!f.get(key)?.length) return true;
  if (e.type !== key) return false;
  return fuzzyMatch(f, key, e.id) || fuzzyMatch(f, key, e.attributes.name ?? '');
}

/** Actions like "exec_start: sh" match the filter "exec_start". */
function matchEvent(f: FilterArgs, action: string): boolean {
  if (exactMatch(f, 'event', action)) return true;
  const colon = action.indexOf(':');
  return colon > 0 && exactMatch(f, 'event', action.slice(0, colon));
}

function matchImage(f: FilterArgs, e: EngineEvent): boolean {
  if (!f.get('image')?.length) return true;
  const name = (e.type === 'image' ? e.attributes.name : e.attributes.image) ?? '';
  return [e.id, name, stripTag(e.id), stripTag(name)].some((v) => v !== '' && exactMatch(f, 'image', v));
}

export function eventMatches(f: FilterArgs, e: EngineEvent): boolean {
  return matchEvent(f, e.action)
    && exactMatch(f, 'type', e.type)
    && exactMatch(f, 'scope', 'local')
    && fuzzyName(f, 'container', e)
    && fuzzyName(f, 'network', e)
    && fuzzyName(f, 'volume', e)
    && fuzzyName(f, 'daemon', e)
    && matchImage(f, e)
    && labelsMatch(f, e.attributes);
}
