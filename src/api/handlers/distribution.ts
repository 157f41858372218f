// Pull and push: docker's JSON message streams. Like dockerd, nothing is
// written until the first message, so a failure to resolve the image (an
// unknown tag, a refused login, a registry that is down) is an ordinary
// HTTP error; once the stream has begun, a failure is its last line.

import type { Ctx } from '../context.ts';
import type { ServerResponse } from 'node:http';
import { invalid, unavailable } from '../../core/errors.ts';
import type { Credentials } from '../../images/distribution/auth.ts';
import type { ProgressMessage } from '../../images/distribution/progress.ts';
import { parseNormalized } from '../../images/reference.ts';
import { readJson } from '../json-body.ts';
import { sendJson } from '../http.ts';
import { parseFilters } from '../filters.ts';
import { checkSearchLimit, parseSearchFilters } from '../../images/distribution/search.ts';

/** X-Registry-Auth: base64url JSON of docker's AuthConfig. */
export function registryAuth(header: string | string[] | undefined): Credentials {
  const raw = Array.isArray(header) ? header[0] : header;
  if (!raw) return {};
  let doc: Record<string, string>;
  try {
    doc = JSON.parse(Buffer.from(raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString());
  } catch {
    // dockerd ignores an undecodable header and pulls anonymously.
    return {};
  }
  if (!doc || typeof doc !== 'object') return {};
  const c: Credentials = {};
  let { username, password } = doc;
  if (!username && doc.auth) {
    const plain = Buffer.from(doc.auth, 'base64').toString();
    const i = plain.indexOf(':');
    if (i > 0) { username = plain.slice(0, i); password = plain.slice(i + 1); }
  }
  if (username) c.username = username;
  if (password) c.password = password;
  if (doc.identitytoken) c.identityToken = doc.identitytoken;
  if (doc.registrytoken) c.registryToken = doc.registrytoken;
  return c;
}

class MessageStream {
  readonly #res: ServerResponse;
  started = false;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  write = (m: ProgressMessage): void => {
    if (!this.started) {
      this.started = true;
      this.#res.writeHead(200, { 'Content-Type': 'application/json' });
    }
    // dockerd's stream formatter ends each JSON line with CRLF.
    this.#res.write(`${JSON.stringify(m)}\r\n`);
  };

  fail(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.write({ errorDetail: { message }, error: message });
  }

  end(): void {
    if (!this.started) this.#res.writeHead(200, { 'Content-Type': 'application/json' });
    this.#res.end();
  }
}

function service(ctx: Ctx) {
  const d = ctx.deps.distribution;
  if (!d) throw unavailable('this daemon has no registry client configured');
  return d;
}

export async function streaming(ctx: Ctx, run: (sink: (m: ProgressMessage) => void) => Promise<void>): Promise<void> {
  const out = new MessageStream(ctx.res);
  try {
    await run(out.write);
  } catch (err) {
    if (!out.started) throw err;
    out.fail(err);
  }
  out.end();
}

/** POST /images/create?fromImage=NAME[&tag=TAG|DIGEST][&platform=]; no tag: all tags */
export async function pull(ctx: Ctx, fromImage: string, tag: string): Promise<void> {
  const d = service(ctx);
  let ref;
  try {
    ref = parseNormalized(fromImage);
  } catch (err) {
    throw invalid(`invalid reference format: ${(err as Error).message}`);
  }
  if (tag) {
    if (ref.tag !== undefined || ref.digest) throw invalid(`invalid reference format: ${fromImage} already names a tag or digest`);
    const withTag = tag.includes(':') ? `${fromImage}@${tag}` : `${fromImage}:${tag}`;
    ref = parseNormalized(withTag);
  }
  // Neither tag nor digest: every tag of the repository, as dockerd does (docker pull --all-tags).
  const platform = ctx.query.get('platform') || undefined;
  const credentials = registryAuth(ctx.req.headers['x-registry-auth']);
  await streaming(ctx, async (sink) => {
    await d.pull(ref, { ...(platform ? { platform } : {}), credentials }, sink);
  });
}

/** POST /auth: {username, password, serveraddress} checked against the registry. */
export async function login(ctx: Ctx): Promise<void> {
  const d = service(ctx);
  const body = (await readJson(ctx.req) ?? {}) as Record<string, unknown>;
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('invalid auth configuration');
  const str = (k: string) => (typeof body[k] === 'string' ? body[k] as string : '');
  const creds: Credentials = {};
  if (str('username')) creds.username = str('username');
  if (str('password')) creds.password = str('password');
  if (str('identitytoken')) creds.identityToken = str('identitytoken');
  await d.login(str('serveraddress'), creds);
  sendJson(ctx.res, 200, { Status: 'Login Succeeded', IdentityToken: '' });
}

/** POST /images/{name}/push?tag= */
export async function push(ctx: Ctx): Promise<void> {
  const d = service(ctx);
  const credentials = registryAuth(ctx.req.headers['x-registry-auth']);
  await streaming(ctx, (sink) => d.push(ctx.params.name!, ctx.query.get('tag') ?? '', credentials, sink));
}

/** GET /images/search?term=&limit=&filters=: dockerd's checks, then the registry's results (search.ts). */
export async function search(ctx: Ctx): Promise<void> {
  const d = service(ctx);
  const rawLimit = ctx.query.get('limit') ?? '';
  if (rawLimit !== '' && !/^-?\d+$/.test(rawLimit)) throw invalid(`invalid limit ${JSON.stringify(rawLimit.slice(0, 40))}: want a number from 1 to 100`);
  const limit = checkSearchLimit(rawLimit === '' ? 0 : Number(rawLimit));
  const filters = parseSearchFilters(parseFilters(ctx.query.get('filters')));
  const results = await d.search(ctx.query.get('term') ?? '', limit, filters, registryAuth(ctx.req.headers['x-registry-auth']));
  // dockerd's field order.
  sendJson(ctx.res, 200, results.map((r) => ({
    star_count: r.starCount, is_official: r.isOfficial, name: r.name, is_automated: r.isAutomated, description: r.description,
  })));
}
