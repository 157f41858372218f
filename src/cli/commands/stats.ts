// berth stats: docker's flow. Without names, follow the container events
// (start adds a container, create too with -a, die removes it without -a)
// after subscribing and before listing, so no start is missed (streaming
// only: --no-stream prints the containers listed); with names,
// collect exactly those and fail with their errors. Each container has its
// own stats stream; a container silent for 2 s shows "--". Every 500 ms the
// table is redrawn in place (cursor home, each line erased to its end, the
// rest of the screen cleared); --no-stream prints one table and exits.

import type { IncomingMessage } from 'node:http';
import type { CommandContext, CommandDef } from '../command.ts';
import { str } from './common.ts';
import { FORMAT_HELP } from './common.ts';
import { renderFormat } from '../format/formatter.ts';
import { joinErrors } from '../errors.ts';
import {
  DEFAULT_STATS_FORMAT, STATS_HEADER, emptyEntry, entryFromSample, liveFrame, statsContext,
} from './stats-format.ts';
import type { StatsEntry, StatsSample } from './stats-format.ts';

const SILENCE_MS = 2000;
const FRAME_MS = 500;

class Collector {
  readonly container: string;
  entry: StatsEntry;
  error: Error | undefined;
  readonly first: Promise<void>;
  #gotFirst!: () => void;
  #res: IncomingMessage | undefined;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(container: string) {
    this.container = container;
    this.entry = emptyEntry(container);
    this.first = new Promise((r) => { this.#gotFirst = r; });
  }

  /** Reads samples until the stream ends (one sample, read whole, without streaming). */
  async run(ctx: CommandContext, stream: boolean, signal: AbortSignal): Promise<void> {
    this.#arm();
    if (!stream) return this.#once(ctx, signal);
    let res: IncomingMessage;
    try {
      res = await ctx.client.ops.statsStream(this.container, true);
    } catch (err) {
      this.#fail(err as Error, false);
      return;
    }
    if (this.#stopped) {
      res.destroy();
      return;
    }
    this.#res = res;
    res.on('error', () => {});
    res.setEncoding('utf8');
    let pending = '';
    const take = (line: string) => {
      if (!line) return;
      this.#sample(JSON.parse(line) as StatsSample);
    };
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          take(pending.slice(0, nl).trim());
          pending = pending.slice(nl + 1);
        }
      }
      take(pending.trim());
      // A stream that ends means the container stopped.
      this.#fail(new Error('EOF'), false);
    } catch (err) {
      if (!this.#stopped) this.#fail(err as Error, false);
    } finally {
      clearTimeout(this.#timer);
    }
  }

  /**
   * --no-stream: the one sample, its answer read whole through the client's
   * small HTTP client (a connection per request: all containers' requests
   * go out at once, where node:http's agent would send 8 at a time).
   */
  async #once(ctx: CommandContext, signal: AbortSignal): Promise<void> {
    try {
      const sample = await ctx.client.ops.stats(this.container, signal);
      if (this.#stopped) return;
      if (sample === undefined) this.#fail(new Error('EOF'), false);
      else this.#sample(sample as StatsSample);
    } catch (err) {
      if (!this.#stopped) this.#fail(err as Error, false);
    } finally {
      clearTimeout(this.#timer);
    }
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#res && !this.#res.complete) this.#res.destroy();
  }

  #sample(s: StatsSample): void {
    this.entry = entryFromSample(this.container, s);
    this.error = undefined;
    this.#gotFirst();
    this.#arm();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#fail(new Error('timeout waiting for stats'), true), SILENCE_MS);
    this.#timer.unref();
  }

  #fail(err: Error, reset: boolean): void {
    this.error = err;
    this.entry = reset ? { ...emptyEntry(this.container), isInvalid: true } : { ...this.entry, isInvalid: true };
    this.#gotFirst();
  }
}

export const stats: CommandDef = {
  name: 'stats',
  usage: '[OPTIONS] [CONTAINER...]',
  description: 'Display a live stream of container(s) resource usage statistics',
  args: { kind: 'min', n: 0 },
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Show all containers (default shows just running)' },
    { name: 'no-stream', type: 'bool', usage: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', type: 'bool', usage: 'Do not truncate output' },
    { name: 'format', type: 'string', usage: FORMAT_HELP },
  ],
  async run(ctx, args, flags) {
    const all = flags.values.all === true;
    const stream = flags.values['no-stream'] !== true;
    const trunc = flags.values['no-trunc'] !== true;
    const showAll = args.length === 0;
    const collectors: Collector[] = [];
    // Ends the one-sample requests still in flight when the command ends (one abort, not one per container).
    const done = new AbortController();
    const add = (container: string) => {
      if (collectors.some((c) => c.container === container)) return;
      const c = new Collector(container);
      collectors.push(c);
      void c.run(ctx, stream, done.signal);
    };
    const remove = (container: string) => {
      const i = collectors.findIndex((c) => c.container === container);
      if (i >= 0) collectors.splice(i, 1)[0]!.stop();
    };

    let eventsFailed: Promise<Error> | undefined;
    let events: IncomingMessage | undefined;
    try {
      if (showAll) {
        // Streaming follows the events; one table (--no-stream) is of the
        // containers listed now, and spares the events stream (node:http, a
        // connection, ~10% of the command's CPU with 200 containers).
        if (stream) {
          events = await ctx.client.system.events({ filters: JSON.stringify({ type: { container: true } }) });
          eventsFailed = followEvents(events, (action, id) => {
            if (action === 'start' || (action === 'create' && all)) add(id.slice(0, 12));
            else if (action === 'die' && !all) remove(id.slice(0, 12));
          });
        }
        for (const c of await ctx.client.containers.list({ all })) add(c.Id.slice(0, 12));
        await Promise.all(collectors.map((c) => c.first));
      } else {
        for (const name of args) add(name);
        await Promise.all(collectors.map((c) => c.first));
        const err = joinErrors(collectors.filter((c) => c.error).map((c) => c.error!));
        if (err) throw err;
      }

      const format = str(flags.values.format) || 'table';
      const render = () => renderFormat(format === 'table' ? DEFAULT_STATS_FORMAT : format,
        collectors.map((c) => statsContext(c.entry, trunc)), STATS_HEADER);
      if (!stream) {
        ctx.io.stdout.write(render());
        return 0;
      }
      const failure = eventsFailed?.then((e) => e);
      for (;;) {
        const tick = new Promise<'tick'>((r) => setTimeout(() => r('tick'), FRAME_MS));
        const next = await (failure ? Promise.race([tick, failure]) : tick);
        if (next !== 'tick') {
          if (next.message === 'EOF') return 0;
          throw next;
        }
        ctx.io.stdout.write(liveFrame(render()));
        if (collectors.length === 0 && !showAll) return 0;
      }
    } finally {
      events?.destroy();
      for (const c of collectors) c.stop();
      done.abort();
    }
  },
};

/** Calls onEvent for every container event; resolves with the error (or EOF) that ended the stream. */
async function followEvents(res: IncomingMessage, onEvent: (action: string, id: string) => void): Promise<Error> {
  res.on('error', () => {});
  res.setEncoding('utf8');
  let pending = '';
  try {
    for await (const chunk of res as AsyncIterable<string>) {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (!line) continue;
        const e = JSON.parse(line) as { Action?: string; Actor?: { ID?: string } };
        if (e.Action && e.Actor?.ID) onEvent(e.Action, e.Actor.ID);
      }
    }
    return new Error('EOF');
  } catch (err) {
    return err as Error;
  }
}
