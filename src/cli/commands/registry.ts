// berth registry serve: runs the registry server in this process (no berthd
// needed) until SIGINT/SIGTERM.

import type { CommandDef } from '../command.ts';
import { noArgs } from '../command.ts';
import { str } from './common.ts';
import { loadConfig } from '../../registry/config.ts';
import { RegistryServer } from '../../registry/server.ts';
import { existsSync } from 'node:fs';
import { collectGarbage } from '../../registry/gc.ts';
import { RegistryIndex } from '../../registry/index-db.ts';
import { FileContentStore } from '../../stores/content.ts';
import { humanSize } from '../format/units.ts';

export const registryServe: CommandDef = {
  name: 'registry serve',
  usage: '[OPTIONS]',
  description: 'Run a registry server (OCI Distribution / Docker Registry v2)',
  args: noArgs,
  flags: [
    { name: 'config', short: 'c', type: 'string', usage: 'Configuration file (JSON)' },
    { name: 'listen', type: 'string', usage: 'Address to listen on, ADDR:PORT (default "127.0.0.1:5000")' },
    { name: 'root', type: 'string', usage: 'Storage directory (default "/var/lib/berth-registry")' },
    { name: 'read-only', type: 'bool', usage: 'Refuse pushes and deletions' },
    { name: 'tls-cert', type: 'string', usage: 'TLS certificate file (PEM)' },
    { name: 'tls-key', type: 'string', usage: 'TLS key file (PEM)' },
    { name: 'htpasswd', type: 'string', usage: 'htpasswd file (bcrypt): Basic authentication, or the accounts of --token' },
    { name: 'token', type: 'bool', usage: 'Bearer token authentication from the built-in token service (/auth/token)' },
    { name: 'proxy-upstream', type: 'string', usage: 'Run as a pull-through cache of this registry URL (credentials in the config file)' },
    { name: 'gc-interval', type: 'string', usage: 'Collect garbage while serving, every DURATION (e.g. "24h"; default "0": never)' },
    { name: 'gc-grace', type: 'string', usage: 'Keep blobs linked or written within DURATION (default "1h")' },
  ],
  async run(ctx, _args, flags) {
    const v = flags.values;
    const config = loadConfig({
      ...(str(v.config) ? { config: str(v.config) } : {}),
      ...(str(v.listen) ? { listen: str(v.listen) } : {}),
      ...(str(v.root) ? { root: str(v.root) } : {}),
      ...(flags.changed.has('read-only') ? { readOnly: v['read-only'] === true } : {}),
      ...(str(v['tls-cert']) ? { tlsCert: str(v['tls-cert']) } : {}),
      ...(str(v['tls-key']) ? { tlsKey: str(v['tls-key']) } : {}),
      ...(str(v.htpasswd) ? { htpasswd: str(v.htpasswd) } : {}),
      ...(v.token === true ? { token: true } : {}),
      ...(str(v['gc-interval']) ? { gcInterval: str(v['gc-interval']) } : {}),
      ...(str(v['gc-grace']) ? { gcGrace: str(v['gc-grace']) } : {}),
      ...(str(v['proxy-upstream']) ? { proxyUpstream: str(v['proxy-upstream']) } : {}),
    });
    config.log = (line) => ctx.err(line);
    const server = new RegistryServer({ config });
    const addr = await server.listen();
    const shown = addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
    ctx.out(`registry listening on ${config.tls ? 'https' : 'http'}://${shown} (root ${config.root}${config.readOnly ? ', read-only' : ''}${config.proxy ? `, pull-through cache of ${config.proxy.remoteUrl}` : ''})`);
    await new Promise<void>((resolve) => {
      const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
  },
};

export const registryGc: CommandDef = {
  name: 'registry gc',
  usage: '[OPTIONS]',
  description: "Remove blobs no manifest references from a registry's storage (safe while it serves)",
  args: noArgs,
  flags: [
    { name: 'config', short: 'c', type: 'string', usage: 'Configuration file (JSON), as for serve' },
    { name: 'root', type: 'string', usage: 'Storage directory (default "/var/lib/berth-registry")' },
    { name: 'dry-run', type: 'bool', usage: 'List what would be removed, remove nothing' },
    { name: 'gc-grace', type: 'string', usage: 'Keep blobs linked or written within DURATION (default "1h")' },
  ],
  async run(ctx, _args, flags) {
    const v = flags.values;
    const config = loadConfig({
      ...(str(v.config) ? { config: str(v.config) } : {}),
      ...(str(v.root) ? { root: str(v.root) } : {}),
      ...(str(v['gc-grace']) ? { gcGrace: str(v['gc-grace']) } : {}),
    });
    if (!existsSync(`${config.root}/registry.db`)) throw new Error(`${config.root} holds no registry (no registry.db)`);
    const dryRun = v['dry-run'] === true;
    const content = new FileContentStore(`${config.root}/content`, { keepIngests: true });
    const index = new RegistryIndex(`${config.root}/registry.db`);
    try {
      const r = await collectGarbage(content, index, {
        dryRun, graceMs: config.gc.graceMs,
        onBlob: (d, size) => ctx.out(`${dryRun ? 'would remove' : 'removed'} ${d} (${size} bytes)`),
      });
      ctx.out(`${r.blobs} of ${r.examined} blobs ${dryRun ? 'would be removed' : 'removed'}, ${humanSize(r.bytes)} ${dryRun ? 'to reclaim' : 'reclaimed'}`);
    } finally {
      index.close();
    }
  },
};
