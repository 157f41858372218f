// berthd's entry point: flags, logger, start, signals.

import { BerthError } from '../core/errors.ts';
import { BERTH_VERSION } from '../engine/system.ts';
import { parseDaemonArgs, type DaemonConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startDaemon } from './daemon.ts';

async function main(): Promise<number> {
  let config: DaemonConfig;
  try {
    config = parseDaemonArgs(process.argv.slice(2), BERTH_VERSION);
  } catch (err: any) {
    if (err?.code === 'commander.helpDisplayed' || err?.code === 'commander.version') return 0;
    if (typeof err?.code === 'string' && err.code.startsWith('commander.')) return 125;
    process.stderr.write(`berthd: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('berthd: needs to run as root (mounts, namespaces and cgroups)\n');
    return 1;
  }
  const log = createLogger(config.logLevel);
  let daemon;
  try {
    daemon = await startDaemon(config, log);
  } catch (err) {
    log.error('failed to start daemon', { err: err instanceof BerthError ? err.message : (err as Error)?.stack ?? String(err) });
    return 1;
  }
  // For the bundle's loader (scripts/bundle-cli.ts): a daemon that served is worth a code cache.
  (process as NodeJS.EventEmitter).emit('berthd-ready');
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info('shutting down; containers keep running', { signal });
      daemon.stop().then(() => resolve(0), (err) => {
        log.error('shutdown failed', { err });
        resolve(1);
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGPIPE', () => {});
  });
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'unhandled rejection', err: String((reason as Error)?.stack ?? reason) }) + '\n');
});

// A programming error outside any request: log it as a structured fatal line
// and exit; containers keep running and the next start re-adopts them.
process.on('uncaughtException', (err) => {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'fatal', msg: 'uncaught exception', err: String(err?.stack ?? err) }) + '\n');
  process.exit(1);
});

main().then((code) => process.exit(code));
