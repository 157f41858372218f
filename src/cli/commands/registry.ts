// berth registry serve: runs the registry server in this process (no berthd
// needed) until SIGINT/SIGTERM.

import type { CommandDef } from '../command.ts';
import { noArgs } from '../command.ts';
import { str } from './common.ts';
import { loadConfig } from '../../registry/config.ts';
import { RegistryServer } from '../../registry/server.ts';

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
    });
    config.log = (line) => ctx.err(line);
    const server = new RegistryServer({ config });
    const addr = await server.listen();
    const shown = addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
    ctx.out(`registry listening on ${config.tls ? 'https' : 'http'}://${shown} (root ${config.root}${config.readOnly ? ', read-only' : ''})`);
    await new Promise<void>((resolve) => {
      const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
  },
};
