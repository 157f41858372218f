import type { EngineEvent, EventSink, EventSource } from '../core/events.ts';

/**
 * The engine's one event bus. Keeps a bounded backlog so `/events?since=`
 * can replay recent history, and fans live events out to subscribers.
 */
export class EventBus implements EventSink, EventSource {
  #backlog: EngineEvent[] = [];
  #subscribers = new Set<(e: EngineEvent) => void>();
  readonly #max: number;

  constructor(max = 1024) {
    this.#max = max;
  }

  emit(type: EngineEvent['type'], action: string, id: string, attributes: Record<string, string> = {}): void {
    const nowNs = BigInt(Date.now()) * 1_000_000n + process.hrtime.bigint() % 1_000_000n;
    const event: EngineEvent = {
      type, action, id, attributes,
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    this.#backlog.push(event);
    if (this.#backlog.length > this.#max) this.#backlog.splice(0, this.#backlog.length - this.#max);
    for (const fn of this.#subscribers) {
      try { fn(event); } catch { /* a subscriber's failure is its own */ }
    }
  }

  subscribe(fn: (e: EngineEvent) => void, opts: { since?: number } = {}): () => void {
    if (opts.since !== undefined) {
      for (const e of this.#backlog) if (e.time >= opts.since) fn(e);
    }
    this.#subscribers.add(fn);
    return () => { this.#subscribers.delete(fn); };
  }
}
