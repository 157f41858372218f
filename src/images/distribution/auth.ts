// The client side of registry auth: a 401's WWW-Authenticate challenge
// says Basic (send the credentials) or Bearer (ask the realm for a token
// for the scope, with the credentials if any, then send the token).

import { invalid } from '../../core/errors.ts';
import type { Endpoint } from './transport.ts';
import { readAll, send } from './transport.ts';

export interface Credentials {
  username?: string;
  password?: string;
  /** OAuth refresh token docker keeps as identitytoken. */
  identityToken?: string;
  /** A registry token given as is (X-Registry-Auth "registrytoken"). */
  registryToken?: string;
}

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Parses `Bearer realm="...",service="...",scope="..."` (first challenge berth understands). */
export function parseChallenge(header: string | string[] | undefined): Challenge | null {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  for (const v of values) {
    const m = /^\s*(\w+)\s*(.*)$/.exec(v);
    if (!m) continue;
    const scheme = m[1]!.toLowerCase();
    if (scheme !== 'basic' && scheme !== 'bearer') continue;
    const params: Record<string, string> = {};
    const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
    let p: RegExpExecArray | null;
    while ((p = re.exec(m[2]!))) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
    return { scheme, params };
  }
  return null;
}

export function basicHeader(c: Credentials): string | null {
  if (!c.username && !c.password) return null;
  return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
}

/** Asks the challenge's realm for a token covering scopes. */
export async function fetchToken(ep: Endpoint, ch: Challenge, scopes: string[], creds: Credentials): Promise<string> {
  if (creds.registryToken) return creds.registryToken;
  const realm = ch.params.realm;
  if (!realm) throw invalid(`${ep.host} sent a Bearer challenge without a realm`);
  const u = new URL(realm);
  if (ch.params.service) u.searchParams.set('service', ch.params.service);
  for (const s of scopes) u.searchParams.append('scope', s);
  const headers: Record<string, string> = {};
  const basic = basicHeader(creds);
  if (basic) headers.Authorization = basic;
  const res = await send({ ...ep, host: u.host }, u.toString(), { method: 'GET', headers });
  const body = await readAll(res, 1 << 20, 'token response');
  if (res.statusCode === 401 || res.statusCode === 403) {
    const e = new Error(`unauthorized: ${tokenError(body) || 'authentication required'}`);
    (e as Error & { status?: number }).status = res.statusCode;
    throw e;
  }
  if (res.statusCode !== 200) throw invalid(`token service ${u.host} answered ${res.statusCode}: ${body.toString().slice(0, 200)}`);
  let doc: { token?: string; access_token?: string };
  try {
    doc = JSON.parse(body.toString());
  } catch {
    throw invalid(`token service ${u.host} answered with something that is not JSON`);
  }
  const token = doc.token ?? doc.access_token;
  if (!token) throw invalid(`token service ${u.host} sent no token`);
  return token;
}

function tokenError(body: Buffer): string {
  try {
    const d = JSON.parse(body.toString());
    return d.errors?.[0]?.message ?? d.details ?? '';
  } catch {
    return '';
  }
}
