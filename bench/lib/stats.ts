// Summary statistics for a benchmark's samples (milliseconds).

export interface Summary {
  n: number;
  min: number;
  median: number;
  p90: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentile of sorted samples, p in (0, 100]. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('no samples');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) throw new Error('no samples');
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    min: sorted[0],
    median: median(sorted),
    p90: percentile(sorted, 90),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    max: sorted[sorted.length - 1],
  };
}
