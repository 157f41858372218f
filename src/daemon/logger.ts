import type { Logger } from '../core/logger.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const ranks: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export function isLogLevel(s: string): s is LogLevel {
  return s in ranks;
}

/** JSON lines on a stream (stderr by default): {time, level, msg, ...fields}. */
export function createLogger(level: LogLevel, out: NodeJS.WritableStream = process.stderr, base: Record<string, unknown> = {}): Logger {
  const min = ranks[level];
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ranks[lvl] < min) return;
    const rec: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    for (const [k, v] of Object.entries(rec)) if (v instanceof Error) rec[k] = v.message;
    out.write(JSON.stringify(rec) + '\n');
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger(level, out, { ...base, ...fields }),
  };
}
