// Which URL serves a registry name, as dockerd decides it: docker.io is
// registry-1.docker.io (after any registry-mirrors); a registry is
// "insecure" when it is on loopback or listed in insecure-registries
// (names or CIDRs), and then HTTPS without verification is tried first and
// plain HTTP after it. The scheme that worked is remembered for a minute.

import * as net from 'node:net';
import { DEFAULT_DOMAIN } from '../reference.ts';
import type { Endpoint, Timeouts } from './transport.ts';
import { drop, send } from './transport.ts';

export interface RegistryOptions {
  /** "host:port", "host" or CIDR ("10.0.0.0/8") entries. */
  insecureRegistries?: string[];
  /** Mirrors for docker.io, as URLs ("http://127.0.0.1:5001"). */
  mirrors?: string[];
  /** Request deadlines (transport.ts defaults). */
  timeouts?: Timeouts;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsRaw] = cidr.split('/');
  const bits = Number(bitsRaw);
  if (!net.isIPv4(ip) || !net.isIPv4(base!) || !(bits >= 0 && bits <= 32)) return false;
  const toInt = (s: string) => s.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toInt(ip) & mask) === (toInt(base!) & mask);
}

export function isInsecure(host: string, opts: RegistryOptions): boolean {
  const hostname = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (hostname === 'localhost' || hostname === '::1' || inCidr(hostname, '127.0.0.0/8')) return true;
  for (const e of opts.insecureRegistries ?? []) {
    if (e === host || e === hostname) return true;
    if (e.includes('/') && inCidr(hostname, e)) return true;
  }
  return false;
}

const remembered = new Map<string, { scheme: 'http' | 'https'; until: number }>();

/** The endpoints to try for a registry name, in order. */
export function candidates(domain: string, opts: RegistryOptions): Endpoint[] {
  if (domain === DEFAULT_DOMAIN) {
    const out: Endpoint[] = [];
    for (const m of opts.mirrors ?? []) {
      const u = new URL(m);
      out.push({ host: u.host, scheme: u.protocol === 'http:' ? 'http' : 'https', insecureTls: isInsecure(u.host, opts) });
    }
    out.push({ host: 'registry-1.docker.io', scheme: 'https', insecureTls: false });
    return out;
  }
  if (!isInsecure(domain, opts)) return [{ host: domain, scheme: 'https', insecureTls: false }];
  const known = remembered.get(domain);
  if (known && known.until > Date.now()) return [{ host: domain, scheme: known.scheme, insecureTls: true }];
  return [{ host: domain, scheme: 'https', insecureTls: true }, { host: domain, scheme: 'http', insecureTls: true }];
}

/** The first candidate whose /v2/ answers like a registry (200 or 401). */
export async function pickEndpoint(domain: string, opts: RegistryOptions): Promise<Endpoint> {
  const list = candidates(domain, opts);
  if (list.length === 1) return list[0]!;
  let lastErr: unknown;
  for (const ep of list) {
    try {
      const res = await send(ep, `${ep.scheme}://${ep.host}/v2/`, { method: 'GET', timeouts: opts.timeouts ?? { headersMs: 15_000, idleMs: 15_000 } });
      drop(res);
      if (res.statusCode === 200 || res.statusCode === 401) {
        if (domain !== DEFAULT_DOMAIN) remembered.set(domain, { scheme: ep.scheme, until: Date.now() + 60_000 });
        return ep;
      }
      lastErr = new Error(`GET ${ep.scheme}://${ep.host}/v2/ answered ${res.statusCode}`);
    } catch (err) {
      lastErr = err;
    }
  }
  throw lastErr;
}
