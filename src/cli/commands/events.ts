// berth events: GET /events streamed until --until passes (or forever),
// printed as docker prints them: "TIME TYPE ACTION ID (attr=value, ...)" with
// the time as RFC 3339 with nanoseconds in the local zone, or through a
// --format template over docker's events.Message ("json" is {{json .}}).
// A template that cannot run on an empty message is refused up front with
// exit 64, as docker does.

import type { CommandDef } from '../command.ts';
import { noArgs } from '../command.ts';
import { INSPECT_FORMAT_HELP, filterFlag, list, str } from './common.ts';
import { filtersToJson, parseFilters } from '../options/filters.ts';
import { getTimestamp } from '../options/timestamp.ts';
import { Template } from '../format/template.ts';
import { GO_TYPE } from '../format/gofmt.ts';
import type { TypedObject } from '../format/gofmt.ts';
import { rfc3339NanoFixedLocal } from '../format/display.ts';
import { StatusError } from '../errors.ts';

/** An event as the API sends it; timeNano is read exactly (it does not fit a double). */
interface WireEvent {
  status?: string;
  id?: string;
  from?: string;
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> | null };
  scope?: string;
  time?: number;
  timeNano?: bigint;
}

/** docker's events.Message for templates: its fields, and its JSON (struct order, omitempty). */
export function eventMessage(e: WireEvent, goType = 'events.Message'): TypedObject {
  const attributes = e.Actor?.Attributes ?? {};
  const actor: TypedObject = { [GO_TYPE]: 'events.Actor', ID: e.Actor?.ID ?? '', Attributes: attributes };
  const msg: TypedObject = {
    [GO_TYPE]: goType,
    Status: e.status ?? '', ID: e.id ?? '', From: e.from ?? '', Type: e.Type ?? '', Action: e.Action ?? '', Actor: actor,
    Scope: e.scope ?? '', Time: e.time ?? 0, TimeNano: e.timeNano ?? 0n,
  };
  const json = () => {
    const out: Record<string, unknown> = {};
    if (msg.Status) out.status = msg.Status;
    if (msg.ID) out.id = msg.ID;
    if (msg.From) out.from = msg.From;
    Object.assign(out, { Type: msg.Type, Action: msg.Action, Actor: { ID: actor.ID, Attributes: e.Actor?.Attributes ? attributes : null } });
    if (msg.Scope) out.scope = msg.Scope;
    if (msg.Time) out.time = msg.Time;
    if (msg.TimeNano) out.timeNano = (JSON as unknown as { rawJSON(s: string): unknown }).rawJSON(String(msg.TimeNano));
    return out;
  };
  Object.defineProperty(msg, 'toJSON', { value: json, enumerable: false });
  return msg;
}

/** docker's prettyPrintEvent. */
export function eventLine(e: WireEvent): string {
  let line = '';
  if (e.timeNano) line += `${rfc3339NanoFixedLocal(Number(e.timeNano / 1_000_000_000n), Number(e.timeNano % 1_000_000_000n))} `;
  else if (e.time) line += `${rfc3339NanoFixedLocal(e.time, 0)} `;
  line += `${e.Type ?? ''} ${e.Action ?? ''} ${e.Actor?.ID ?? ''}`;
  const attrs = e.Actor?.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length > 0) line += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return line;
}

function parseEvent(line: string): WireEvent {
  const reviver = (key: string, value: unknown, context?: { source?: string }) =>
    key === 'timeNano' && typeof value === 'number' && context?.source ? BigInt(context.source) : value;
  return JSON.parse(line, reviver as (key: string, value: unknown) => unknown) as WireEvent;
}

function makeTemplate(format: string): Template | undefined {
  if (format === '') return undefined;
  try {
    const tmpl = new Template(format === 'json' ? '{{json .}}' : format);
    tmpl.execute(eventMessage({}, '*events.Message'));
    return tmpl;
  } catch (err) {
    throw new StatusError(64, `Error parsing format: ${(err as Error).message}`);
  }
}

export const events: CommandDef = {
  name: 'events',
  usage: '[OPTIONS]',
  description: 'Get real time events from the server',
  args: noArgs,
  flags: [
    { name: 'since', type: 'string', usage: 'Show all events created since timestamp' },
    { name: 'until', type: 'string', usage: 'Stream events until this timestamp' },
    filterFlag,
    { name: 'format', type: 'string', usage: INSPECT_FORMAT_HELP },
  ],
  async run(ctx, _args, flags) {
    const tmpl = makeTemplate(str(flags.values.format));
    const now = ctx.now();
    const since = str(flags.values.since);
    const until = str(flags.values.until);
    const res = await ctx.client.system.events({
      since: since ? getTimestamp(since, now) : undefined,
      until: until ? getTimestamp(until, now) : undefined,
      filters: filtersToJson(parseFilters(list(flags.values.filter))),
    });
    res.setEncoding('utf8');
    let pending = '';
    const print = (line: string) => {
      if (line.trim() === '') return;
      const e = parseEvent(line);
      ctx.io.stdout.write(`${tmpl ? tmpl.execute(eventMessage(e)) : eventLine(e)}\n`);
    };
    for await (const chunk of res as AsyncIterable<string>) {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        print(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    }
    print(pending);
    return 0;
  },
};
