// Registry authentication. Two modes, as distribution has them:
//
//   htpasswd (Basic): every request carries `Authorization: Basic` for a
//     user in the htpasswd file (bcrypt entries only); a user who passes may
//     do everything. Otherwise 401 with `WWW-Authenticate: Basic realm=...`.
//
//   token (Bearer): the registry is also its own token service. A client
//     meets a 401 with `Bearer realm=".../auth/token",service=...,scope=...`,
//     asks the realm for a token (Basic credentials from the htpasswd file,
//     or none: anonymous), and gets a signed JWT (HS256) whose `access`
//     claim lists what the ACL grants of what it asked for. Requests then
//     carry `Authorization: Bearer <jwt>`; a token without the scope a
//     request needs (another repository, push where it has pull) is a 401.

import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import bcrypt from 'bcryptjs';
import { SignJWT, jwtVerify } from 'jose';
import { type Access, type Action, type Authorizer, scopeString } from './access.ts';
import type { AclEntry, AuthConfig, RegistryConfig } from './config.ts';
import { RegistryError } from './errors.ts';
import { sendJson } from './http.ts';

export const TOKEN_PATH = '/auth/token';

export function loadHtpasswd(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read htpasswd file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const users = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    const l = line.trim();
    if (!l || l.startsWith('#')) return;
    const c = l.indexOf(':');
    const hash = l.slice(c + 1);
    if (c <= 0 || !/^\$2[aby]\$\d\d\$/.test(hash)) throw new Error(`${path}:${i + 1}: only bcrypt entries are supported (htpasswd -B)`);
    users.set(l.slice(0, c), hash);
  });
  return users;
}

function basicCredentials(req: IncomingMessage): { user: string; password: string } | null {
  const h = req.headers.authorization ?? '';
  const m = /^Basic\s+(\S+)$/i.exec(h);
  if (!m) return null;
  const plain = Buffer.from(m[1]!, 'base64').toString();
  const i = plain.indexOf(':');
  if (i < 0) return null;
  return { user: plain.slice(0, i), password: plain.slice(i + 1) };
}

const glob = (pattern: string, s: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(s);

export class RegistryAuth implements Authorizer {
  readonly #users: Map<string, string>;
  readonly #realm: string;
  readonly #token: AuthConfig['token'];
  readonly #secret: Uint8Array;
  readonly #service: string;
  readonly #issuer: string;
  readonly #acl: AclEntry[];
  readonly #verified = new Map<string, boolean>();

  constructor(cfg: RegistryConfig) {
    const a = cfg.auth ?? {};
    this.#users = a.htpasswd ? loadHtpasswd(a.htpasswd) : new Map();
    this.#realm = a.realm ?? 'berth-registry';
    this.#token = a.token;
    this.#secret = a.token?.key ? Buffer.from(a.token.key) : randomBytes(32);
    this.#service = a.token?.service ?? 'berth-registry';
    this.#issuer = a.token?.issuer ?? 'berth-registry';
    this.#acl = a.token?.acl ?? [{ account: '*', name: '*', actions: ['*'] }];
  }

  get tokenMode(): boolean { return !!this.#token; }

  /** Checks a password against the htpasswd entry (bcrypt is slow: good results are cached). */
  async #check(user: string, password: string): Promise<boolean> {
    const hash = this.#users.get(user);
    if (!hash) return false;
    const key = `${user}\0${password}`;
    const cached = this.#verified.get(key);
    if (cached !== undefined) return cached;
    const ok = await bcrypt.compare(password, hash);
    if (this.#verified.size > 1000) this.#verified.clear();
    this.#verified.set(key, ok);
    return ok;
  }

  async authorize(req: IncomingMessage, access: Access[]): Promise<void> {
    if (!this.#token) {
      const c = basicCredentials(req);
      if (c && await this.#check(c.user, c.password)) return;
      throw new RegistryError('UNAUTHORIZED', 'authentication required', access.map((x) => ({ Type: x.type, Name: x.name, Action: x.actions.join(',') })),
        { headers: { 'WWW-Authenticate': `Basic realm="${this.#realm}"` } });
    }
    const challenge = () => {
      const realm = `${(req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${TOKEN_PATH}`;
      const scope = access.length ? `,scope="${access.map(scopeString).join(' ')}"` : '';
      return { 'WWW-Authenticate': `Bearer realm="${realm}",service="${this.#service}"${scope}` };
    };
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) throw new RegistryError('UNAUTHORIZED', 'authentication required', null, { headers: challenge() });
    let granted: Access[];
    try {
      const { payload } = await jwtVerify(m[1]!, this.#secret, { issuer: this.#issuer, audience: this.#service });
      granted = (payload.access as Access[] | undefined) ?? [];
    } catch {
      throw new RegistryError('UNAUTHORIZED', 'invalid or expired token', null, { headers: challenge() });
    }
    for (const need of access) {
      const have = granted.find((g) => g.type === need.type && g.name === need.name);
      const missing = need.actions.filter((a) => !have?.actions.includes(a) && !have?.actions.includes('*'));
      if (missing.length) {
        throw new RegistryError('UNAUTHORIZED', `insufficient scope: ${scopeString(need)}`, null, { headers: challenge() });
      }
    }
  }

  /** GET /auth/token?service=&scope=...: the token service. */
  async serveToken(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let account = '';
    const c = basicCredentials(req);
    if (c) {
      if (!(await this.#check(c.user, c.password))) {
        throw new RegistryError('UNAUTHORIZED', 'invalid username or password', null, { headers: { 'WWW-Authenticate': `Basic realm="${this.#realm}"` } });
      }
      account = c.user;
    }
    const access: Access[] = [];
    for (const s of url.searchParams.getAll('scope').flatMap((x) => x.split(' ')).filter(Boolean)) {
      const parts = s.split(':');
      if (parts.length < 3) continue;
      const type = parts[0] as Access['type'];
      const actions = parts[parts.length - 1]!.split(',').filter(Boolean) as Action[];
      const name = parts.slice(1, -1).join(':');
      const allowed = actions.filter((a) => this.#acl.some((e) =>
        (e.account === account || (e.account === '*' && account !== '') || e.account === '') && glob(e.name, name) && (e.actions.includes('*') || e.actions.includes(a))));
      if (allowed.length) access.push({ type, name, actions: allowed });
    }
    const expiresIn = this.#token?.expiresIn ?? 300;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.#issuer).setAudience(this.#service).setSubject(account)
      .setIssuedAt(now).setNotBefore(now - 5).setExpirationTime(now + expiresIn).setJti(randomUUID())
      .sign(this.#secret);
    sendJson(res, 200, { token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() });
  }
}
