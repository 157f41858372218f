// The client side of the daemon's TCP listener, as the docker CLI sets it up:
// --tlsverify (or DOCKER_TLS_VERIFY) turns TLS on and checks the daemon's
// certificate against --tlscacert; --tls alone turns TLS on without that
// check. The certificate files default to $DOCKER_CERT_PATH (or ~/.docker)
// /{ca,cert,key}.pem, and a default file that does not exist is left out;
// a file named by a flag must exist.

import { existsSync, readFileSync } from 'node:fs';

export interface ClientTls {
  /** Check the daemon's certificate against `ca` (false with --tls alone). */
  verify: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface TlsFlags {
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

export function resolveClientTls(flags: TlsFlags, env: Record<string, string | undefined>): ClientTls | undefined {
  const verify = flags.tlsverify ?? Boolean(env.DOCKER_TLS_VERIFY);
  if (!verify && !flags.tls) return undefined;
  // node:os only here: every command builds its client through this, few use TLS.
  const dir = env.DOCKER_CERT_PATH || `${env.HOME || process.getBuiltinModule('node:os').homedir()}/.docker`;
  const pick = (flag: string | undefined, name: string) => {
    if (flag !== undefined) return flag;
    const p = `${dir}/${name}`;
    return existsSync(p) ? p : undefined;
  };
  const read = (what: string, p: string | undefined) => {
    if (p === undefined) return undefined;
    try {
      return readFileSync(p);
    } catch (err) {
      throw new Error(`Could not read ${what} "${p}": ${(err as Error).message}`);
    }
  };
  const caPath = pick(flags.tlscacert, 'ca.pem');
  const certPath = pick(flags.tlscert, 'cert.pem');
  const keyPath = pick(flags.tlskey, 'key.pem');
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new Error(`Could not load X509 key pair: both --tlscert and --tlskey are needed (got ${certPath ?? keyPath})`);
  }
  return { verify, ca: read('CA certificate', caPath), cert: read('certificate', certPath), key: read('key', keyPath) };
}
