// One event bus for lifecycle events (create, start, die, destroy, tag,
// untag, delete, import...). The /events endpoint and the daemon log both
// read it.

export interface EngineEvent {
  type: 'container' | 'image' | 'network' | 'volume' | 'daemon';
  action: string;            // "create", "start", "die", "destroy", "tag", ...
  id: string;
  attributes: Record<string, string>;
  time: number;              // unix seconds
  timeNano: number;          // unix nanoseconds
}

export interface EventSink {
  emit(type: EngineEvent['type'], action: string, id: string, attributes?: Record<string, string>): void;
}

export interface EventSource {
  /** Past events since `since` (unix seconds) are replayed first, then live ones until unsubscribed. */
  subscribe(fn: (e: EngineEvent) => void, opts?: { since?: number }): () => void;
}
