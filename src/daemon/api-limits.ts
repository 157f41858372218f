// The API server's limits as berthd's flags and daemon.json keys give them
// (see src/api/limits.ts for what each bounds and why the defaults).
//   --api-max-json-body 16777216     "api-max-json-body": "16MiB"
//   --api-headers-timeout 60s         "api-headers-timeout": "60s"
//   --api-request-timeout 0           "api-request-timeout": "10m"
//   --api-max-header-size 16KiB       "api-max-header-size": "64KiB"

import { invalid } from '../core/errors.ts';
import { DEFAULT_LIMITS, type ApiLimits } from '../api/limits.ts';

export interface RawApiLimits {
  apiMaxJsonBody?: string | undefined;
  apiHeadersTimeout?: string | undefined;
  apiRequestTimeout?: string | undefined;
  apiMaxHeaderSize?: string | undefined;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };
const TIME_UNITS: Record<string, number> = { '': 1000, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "16MiB", "1048576", "512k": a byte count (binary units, as dockerd's RAMInBytes). */
export function parseByteSize(name: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw invalid(`invalid ${name} ${JSON.stringify(raw)}: expected a size such as 16777216 or 16MiB`);
  const n = Math.floor(Number(m[1]) * unit);
  if (n < 1) throw invalid(`invalid ${name} ${JSON.stringify(raw)}: must be at least 1 byte`);
  return n;
}

/** "60s", "5m", "1500ms", "0"; a bare number is seconds. 0 disables the timeout. */
export function parseTimeout(name: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(raw.trim());
  if (!m) throw invalid(`invalid ${name} ${JSON.stringify(raw)}: expected a duration such as 60s, 5m or 0 (off)`);
  return Math.round(Number(m[1]) * TIME_UNITS[(m[2] ?? '').toLowerCase()]!);
}

export function apiLimitsFrom(raw: RawApiLimits): ApiLimits {
  const limits: ApiLimits = {
    ...DEFAULT_LIMITS,
    ...(raw.apiMaxJsonBody !== undefined ? { maxJsonBody: parseByteSize('api-max-json-body', raw.apiMaxJsonBody) } : {}),
    ...(raw.apiHeadersTimeout !== undefined ? { headersTimeoutMs: parseTimeout('api-headers-timeout', raw.apiHeadersTimeout) } : {}),
    ...(raw.apiRequestTimeout !== undefined ? { requestTimeoutMs: parseTimeout('api-request-timeout', raw.apiRequestTimeout) } : {}),
    ...(raw.apiMaxHeaderSize !== undefined ? { maxHeaderSize: parseByteSize('api-max-header-size', raw.apiMaxHeaderSize) } : {}),
  };
  return limits;
}
