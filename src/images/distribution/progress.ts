// Docker's JSON progress messages for pull and push: one JSON object per
// line, per-layer lines keyed by a short id, progress bars rendered the way
// dockerd renders them (clients that draw their own bars read
// progressDetail). Progress updates are throttled per layer.

export interface ProgressMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  aux?: unknown;
  /** Plain output lines (docker load's "Loaded image: ..."). */
  stream?: string;
  error?: string;
  errorDetail?: { message: string };
}

export type ProgressSink = (m: ProgressMessage) => void;

/** go-units HumanSize: decimal units, 4 significant digits ("2.151MB"). */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${formatG4(v)}${units[i]}`;
}

/** Go's %.4g for the values humanSize produces. */
function formatG4(v: number): string {
  if (v === 0) return '0';
  const s = v.toPrecision(4);
  return s.includes('e') ? String(Number(s)) : s.replace(/\.?0+$/, '');
}

/** JSONProgress.String at dockerd's default width (200 columns: bar and sizes). */
export function progressBar(current: number, total: number, startedMs?: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  let pct = Math.floor(Math.floor((current / total) * 100) / 2);
  if (pct > 50) pct = 50;
  const bar = `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] `;
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  let left = '';
  if (current > 0 && startedMs && pct < 50) {
    const elapsed = (Date.now() - startedMs) / 1000;
    const secs = Math.floor((elapsed / current) * (total - current));
    left = ` ${goDuration(secs)}`;
  }
  return bar + numbers + left;
}

function goDuration(secs: number): string {
  if (secs <= 0) return '0s';
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

export const shortDigest = (d: string): string => d.replace(/^[a-z0-9]+:/, '').slice(0, 12);

/** Per-layer progress with throttling; status-only messages always go out. */
export class LayerProgress {
  readonly #sink: ProgressSink;
  readonly #id: string;
  #last = 0;
  #started = 0;

  constructor(sink: ProgressSink, id: string) {
    this.#sink = sink;
    this.#id = id;
  }

  status(status: string): void {
    this.#sink({ status, progressDetail: {}, id: this.#id });
  }

  update(status: string, current: number, total: number, force = false): void {
    const now = Date.now();
    if (!this.#started) this.#started = now;
    if (!force && now - this.#last < 100 && current < total) return;
    this.#last = now;
    this.#sink({ status, progressDetail: { current, total }, progress: progressBar(current, total, this.#started), id: this.#id });
  }

  /** A new phase (download, then extract) restarts the time estimate. */
  restart(): void {
    this.#started = 0;
    this.#last = 0;
  }
}
