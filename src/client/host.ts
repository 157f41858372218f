// Which daemon the client talks to. The order is docker's, with berth's own
// variable first: -H/--host, then BERTH_HOST, then DOCKER_HOST, then the
// default socket berthd listens on.

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

export interface HostAddress {
  /** As the user wrote it (normalised), for messages: "unix:///run/berth/berth.sock". */
  readonly url: string;
  readonly socketPath?: string;
  readonly hostname?: string;
  readonly port?: number;
}

export function resolveHost(flag: string | undefined, env: Record<string, string | undefined>): string {
  if (flag) return flag;
  if (env.BERTH_HOST) return env.BERTH_HOST;
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  return DEFAULT_HOST;
}

/**
 * Parses unix:///path, a bare /path, and tcp://host:port (default port 2375, 2376 with TLS).
 * Throws with docker's wording on anything else.
 */
export function parseHost(raw: string, tls = false): HostAddress {
  const value = raw.trim();
  if (value.startsWith('/')) return { url: `unix://${value}`, socketPath: value };
  const m = /^([a-z]+):\/\/(.*)$/.exec(value);
  if (!m) throw new Error(`unable to parse docker host \`${raw}\``);
  const [, proto, rest] = m;
  if (proto === 'unix') {
    if (!rest) throw new Error(`unable to parse docker host \`${raw}\``);
    return { url: value, socketPath: rest };
  }
  if (proto === 'tcp' || proto === 'http') {
    const hp = /^(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(rest);
    if (!hp) throw new Error(`unable to parse docker host \`${raw}\``);
    const hostname = (hp[1] || 'localhost').replace(/^\[|\]$/g, '');
    const port = hp[2] ? Number(hp[2]) : tls ? 2376 : 2375;
    return { url: `tcp://${hp[1] || 'localhost'}:${port}`, hostname, port };
  }
  throw new Error(`protocol not available: ${proto}`);
}
