// A container's healthcheck settings: dockerd's merge of the image's
// HEALTHCHECK with the container's, its validation (same messages), the
// probe command and the effective timings with dockerd's defaults.

import type { HealthConfig } from '../../core/health.ts';
import type { ImageRunConfig } from '../../core/image.ts';
import { invalid } from '../../core/errors.ts';
import { formatGoDuration } from '../../core/duration.ts';

const MS = 1_000_000;
const SECOND = 1000 * MS;

/** dockerd's defaults (daemon/health.go). */
export const DEFAULT_INTERVAL_NS = 30 * SECOND;
export const DEFAULT_TIMEOUT_NS = 30 * SECOND;
export const DEFAULT_START_INTERVAL_NS = 5 * SECOND;
export const DEFAULT_RETRIES = 3;
/** containertypes.MinimumDuration. */
const MINIMUM_NS = MS;

/** The image's HealthConfig in the engine's names (absent fields left out). */
export function imageHealthConfig(ic: ImageRunConfig): HealthConfig | undefined {
  const h = ic.Healthcheck;
  if (!h) return undefined;
  return compact({
    test: h.Test ?? undefined, interval: h.Interval, timeout: h.Timeout,
    startPeriod: h.StartPeriod, startInterval: h.StartInterval, retries: h.Retries,
  });
}

/** The engine's HealthConfig as an image config stores it (zero fields left out). */
export function toImageHealthConfig(h: HealthConfig): NonNullable<ImageRunConfig['Healthcheck']> {
  return {
    ...(h.test?.length ? { Test: h.test } : {}),
    ...(h.interval ? { Interval: h.interval } : {}),
    ...(h.timeout ? { Timeout: h.timeout } : {}),
    ...(h.startPeriod ? { StartPeriod: h.startPeriod } : {}),
    ...(h.startInterval ? { StartInterval: h.startInterval } : {}),
    ...(h.retries ? { Retries: h.retries } : {}),
  };
}

/**
 * dockerd's merge (daemon/commit.go): without a container healthcheck the
 * image's applies; with one, each of its zero fields (an empty Test among
 * them) takes the image's value. ["NONE"] keeps the image's timings, as
 * dockerd shows them, but runs nothing.
 */
export function mergeHealthConfig(user: HealthConfig | undefined, image: HealthConfig | undefined): HealthConfig | undefined {
  if (!image) return user ? compact(user) : undefined;
  if (!user) return compact(image);
  return compact({
    test: user.test?.length ? user.test : image.test,
    interval: user.interval || image.interval,
    timeout: user.timeout || image.timeout,
    startPeriod: user.startPeriod || image.startPeriod,
    startInterval: user.startInterval || image.startInterval,
    retries: user.retries || image.retries,
  });
}

/** dockerd's validateHealthCheck: a 400 naming the field. */
export function validateHealthConfig(h: HealthConfig | undefined): void {
  if (!h) return;
  const tooShort = (v: number | undefined) => v !== undefined && v !== 0 && v < MINIMUM_NS;
  if (tooShort(h.interval)) throw invalid('Interval in Healthcheck cannot be less than 1ms');
  if (tooShort(h.timeout)) throw invalid('Timeout in Healthcheck cannot be less than 1ms');
  if (h.retries !== undefined && h.retries < 0) throw invalid('Retries in Healthcheck cannot be negative');
  if (tooShort(h.startPeriod)) throw invalid('StartPeriod in Healthcheck cannot be less than 1ms');
  if (tooShort(h.startInterval)) throw invalid('StartInterval in Healthcheck cannot be less than 1ms');
}

/**
 * The command a probe runs, or null when there is no probe (no test, NONE,
 * or a type dockerd does not know): CMD runs its arguments, CMD-SHELL its
 * string through the container's Config.Shell, or /bin/sh -c without one
 * (dockerd's getShell: the image's SHELL is not merged into the container's
 * config, so a Dockerfile SHELL does not change a probe; checked on 20.10).
 */
export function probeCommand(h: HealthConfig | undefined, shell?: readonly string[]): string[] | null {
  const [kind, ...rest] = h?.test ?? [];
  if (kind === 'CMD' && rest.length) return rest;
  if (kind === 'CMD-SHELL' && rest.length) return [...(shell?.length ? shell : ['/bin/sh', '-c']), ...rest];
  return null;
}

export interface HealthTimings {
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
  /** The timeout as Go prints it, for the timeout result's output. */
  timeoutText: string;
}

export function healthTimings(h: HealthConfig): HealthTimings {
  const timeout = h.timeout || DEFAULT_TIMEOUT_NS;
  return {
    intervalMs: (h.interval || DEFAULT_INTERVAL_NS) / MS,
    timeoutMs: timeout / MS,
    startPeriodMs: (h.startPeriod || 0) / MS,
    startIntervalMs: (h.startInterval || DEFAULT_START_INTERVAL_NS) / MS,
    retries: h.retries && h.retries > 0 ? h.retries : DEFAULT_RETRIES,
    timeoutText: formatGoDuration(timeout),
  };
}

function compact(h: HealthConfig): HealthConfig {
  const out: HealthConfig = {};
  if (h.test?.length) out.test = [...h.test];
  for (const k of ['interval', 'timeout', 'startPeriod', 'startInterval', 'retries'] as const) {
    if (h[k]) out[k] = h[k];
  }
  return out;
}
