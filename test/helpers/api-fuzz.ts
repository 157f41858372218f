// Adversarial Engine API requests from a fixed seed, for the short suite in
// `npm test` (test/integration/api/adversarial.test.ts) and the long run in
// stress/api-fuzz.ts. Every request is a client's mistake or a client's
// bad manners: wrong JSON types and extreme values for every create field,
// deep nesting, invalid JSON, bad query values, unknown API versions, wrong
// methods, huge headers and bodies, truncated and chunked garbage,
// traversal and NUL in ids and names, hijacks closed early, slow clients.
// A 5xx answer to any of them is a finding; so is a crash, an unhandled
// rejection in the daemon's log, or descriptors that stay after the
// clients are gone (the callers check those).
//
// Nothing here reaches past the daemon's socket: no pull or push (they
// would go to a registry), no build, no network creation (bridges and
// subnets are the host's).

import net from 'node:net';
import { CREATE_BODY } from '../../src/api/shapes/create-schema.ts';
import type { GoType } from '../../src/api/shapes/go-types.ts';

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzCase {
  /** What the case tries, for the report. */
  kind: string;
  /** The bytes a client sends, in pieces (sent with `delayMs` between them). */
  chunks: Buffer[];
  delayMs?: number;
  /** Close the connection this long after the last piece, whatever came back. */
  closeAfterMs?: number;
  /** Only the status line is awaited; the body may stream forever (events, logs, wait, attach). */
  headOnly?: boolean;
}

export interface FuzzTargets {
  /** IDs and names of containers that exist when the run starts. */
  containers: string[];
  images: string[];
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const EXTREME_NUMBERS = [
  '1e308', '-1e308', '123456789012345678901234567890', '9223372036854775808', '-9223372036854775809',
  '18446744073709551616', '9007199254740993', '1.5', '-1', '0', '65536', '4294967296', '1e20', '-0.0', '2e-308',
];

function deep(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** A JSON literal of the wrong type or an extreme value, as text (numbers keep their literal). */
function badValue(r: Rand): string {
  switch (Math.floor(r() * 10)) {
    case 0: return pick(r, EXTREME_NUMBERS);
    case 1: return JSON.stringify('x'.repeat(pick(r, [0, 1, 65, 4097, 131073, 100_002])));
    case 2: return pick(r, ['true', 'false', 'null']);
    case 3: return pick(r, ['[]', '{}', '[1,"a",null]', '{"a":{"b":[]}}']);
    case 4: return deep(pick(r, [100, 600, 5000]));
    case 5: return JSON.stringify(pick(r, ['\u0000', '../../../../etc/passwd', '/proc/self/root', 'a\nb', '\ud800', '-1', 'SIGKILL', '%00']));
    case 6: return `[${EXTREME_NUMBERS.slice(0, 3).join(',')}]`;
    case 7: return `{"k":${pick(r, EXTREME_NUMBERS)}}`;
    case 8: return `["${'y'.repeat(70_000)}"]`;
    default: return pick(r, EXTREME_NUMBERS);
  }
}

/** Every field path of the create body, from the same table the server checks against. */
export function createFieldPaths(t: GoType = CREATE_BODY, prefix: string[] = []): string[][] {
  if (t.kind !== 'struct') return [prefix];
  const out: string[][] = prefix.length ? [prefix] : [];
  for (const [k, ft] of Object.entries(t.fields)) out.push(...createFieldPaths(ft, [...prefix, k]));
  return out;
}

const FIELD_PATHS = createFieldPaths();

/** A create body: a valid one with one field (at any depth) replaced by a bad value. */
function createBody(r: Rand): string {
  const path = pick(r, FIELD_PATHS);
  const marker = '"__FUZZ__"';
  const body: Record<string, unknown> = { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } };
  let at: Record<string, unknown> = body;
  for (const k of path.slice(0, -1)) {
    const next = at[k];
    at = (at[k] = next && typeof next === 'object' && !Array.isArray(next) ? next : {}) as Record<string, unknown>;
  }
  at[path.at(-1)!] = '__FUZZ__';
  return JSON.stringify(body).replace(marker, badValue(r));
}

const VERSIONS = ['', '', '', '/v1.41', '/v1.24', '/v1.12', '/v0.1', '/v99.99', '/vabc', '/v1.41.1', '/v-1', '/v1.41/v1.41'];

function badId(r: Rand, t: FuzzTargets): string {
  return pick(r, [
    ...t.containers, ...t.containers, 'missing', '..', '../../etc/passwd', '%2e%2e%2f%2e%2e%2fetc', 'a%00b', '%00',
    'x'.repeat(5000), 'café', '%ff%fe', '-', '.', 'a/b', '*', '%', '%zz', 'sha256:' + '0'.repeat(64), '0'.repeat(64),
  ]);
}

function badImage(r: Rand, t: FuzzTargets): string {
  return pick(r, [...t.images, 'busybox:latest', 'UPPER', 'a:b:c', 'localhost:99999/x', '@sha256:abc', 'x'.repeat(300),
    '../x', 'a%00b', 'sha256:' + 'f'.repeat(64), 'busybox@sha256:' + '1'.repeat(64), ':', '%2F']);
}

const QUERY_KEYS = ['all', 'limit', 'size', 'filters', 'since', 'until', 't', 'signal', 'force', 'v', 'h', 'w', 'condition',
  'stdout', 'stderr', 'tail', 'follow', 'timestamps', 'stream', 'stdin', 'logs', 'detachKeys', 'name', 'repo', 'tag',
  'fromSrc', 'changes', 'message', 'platform', 'noprune', 'path', 'noOverwriteDirNonDir', 'ps_args', 'dangling', 'link'];
const QUERY_VALUES = ['', '1', '0', 'true', '-1', '99999999999999999999', '1e308', 'abc', '%00', '{', '{"a":', '{"status":["bogus"]}',
  '{"label":{"a":true}}', '[]', 'null', 'SIGNOPE', '999', 'ctrl-', 'ctrl-@@', '../../..', '/', 'x'.repeat(3000), '2006-01-02T15:04:05Z',
  'not-running', 'removed', 'bogus', '-', 'ctrl-p,ctrl-q', '\u00ff'];

function query(r: Rand, n = 1 + Math.floor(r() * 3)): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`${pick(r, QUERY_KEYS)}=${encodeURIComponent(pick(r, QUERY_VALUES))}`);
  if (r() < 0.1) parts.push('%zz=%');
  return parts.length ? `?${parts.join('&')}` : '';
}

interface Endpoint {
  method: string;
  path: (r: Rand, t: FuzzTargets) => string;
  body?: (r: Rand) => string | null;
  streams?: boolean;
}

const jsonGarbage = (r: Rand): string => pick(r, [
  '', '{', '}', '{"a":}', 'nul', '[1,2', '"\\u12"', '{"a":1}{"b":2}', '\u0000', '{"a":"\\x"}', deep(600), deep(20_000),
  JSON.stringify({ Image: 'x'.repeat(70_000) }), '{"' + 'k'.repeat(10) + '":' + badValue(r) + '}',
]);

const ENDPOINTS: readonly Endpoint[] = [
  { method: 'GET', path: () => '/_ping' },
  { method: 'HEAD', path: () => '/_ping' },
  { method: 'GET', path: (r) => `/version${query(r)}` },
  { method: 'GET', path: (r) => `/info${query(r)}` },
  { method: 'GET', path: (r) => `/events${query(r)}`, streams: true },
  { method: 'POST', path: (r) => `/containers/create${r() < 0.5 ? query(r) : ''}`, body: createBody },
  { method: 'POST', path: (r) => `/containers/create?name=${encodeURIComponent(pick(r, ['a', '/x', '..', 'a/b', 'x'.repeat(300), '\u0000', '-a', 'ok_name.1']))}`, body: createBody },
  { method: 'POST', path: () => '/containers/create', body: jsonGarbage },
  { method: 'GET', path: (r) => `/containers/json${query(r)}` },
  { method: 'GET', path: (r, t) => `/containers/${badId(r, t)}/json${query(r)}` },
  { method: 'POST', path: (r, t) => `/containers/${badId(r, t)}/start${query(r)}`, body: (r) => (r() < 0.5 ? null : jsonGarbage(r)) },
  { method: 'POST', path: (r, t) => `/containers/${badId(r, t)}/stop${query(r)}` },
  { method: 'POST', path: (r, t) => `/containers/${badId(r, t)}/kill${query(r)}` },
  { method: 'POST', path: (r, t) => `/containers/${badId(r, t)}/restart?t=${pick(r, QUERY_VALUES)}` },
  { method: 'POST', path: (r, t) => `/containers/${badId(r, t)}/resize${query(r)}` },
  { method: 'POST', path: (r, t) => `/containers/${badId(r, t)}/wait${query(r)}`, streams: true },
  { method: 'GET', path: (r, t) => `/containers/${badId(r, t)}/logs${query(r)}`, streams: true },
  { method: 'GET', path: (r, t) => `/containers/${badId(r, t)}/export`, streams: true },
  { method: 'GET', path: (r, t) => `/containers/${badId(r, t)}/changes` },
  { method: 'GET', path: (r, t) => `/containers/${badId(r, t)}/top${query(r)}` },
  { method: 'GET', path: (r, t) => `/containers/${badId(r, t)}/stats?stream=0` },
  { method: 'POST', path: (r, t) => `/containers/${badId(r, t)}/pause` },
  { method: 'POST', path: (r, t) => `/containers/${badId(r, t)}/unpause` },
  { method: 'POST', path: (r, t) => `/containers/${badId(r, t)}/rename${query(r)}` },
  { method: 'POST', path: (r, t) => `/containers/${badId(r, t)}/update`, body: jsonGarbage },
  { method: 'POST', path: (r, t) => `/containers/${badId(r, t)}/update`, body: (r) => `{"${pick(r, ['Memory', 'CpuShares', 'PidsLimit', 'BlkioWeight', 'RestartPolicy'])}":${badValue(r)}}` },
  { method: 'HEAD', path: (r, t) => `/containers/${badId(r, t)}/archive?path=${encodeURIComponent(pick(r, QUERY_VALUES))}` },
  { method: 'GET', path: (r, t) => `/containers/${badId(r, t)}/archive?path=${encodeURIComponent(pick(r, ['/etc/../../..', '/proc/1/root', '', '/nope', '/etc/hostname']))}`, streams: true },
  { method: 'PUT', path: (r, t) => `/containers/${badId(r, t)}/archive?path=${encodeURIComponent(pick(r, ['/tmp', '/', '../', '/nope', '']))}`, body: (r) => pick(r, ['', 'not a tar', '\u0000'.repeat(1024), 'x'.repeat(600)]) },
  { method: 'DELETE', path: (r, t) => `/containers/${badId(r, t)}${query(r)}` },
  { method: 'POST', path: (r, t) => `/commit?container=${encodeURIComponent(badId(r, t))}&repo=${encodeURIComponent(badImage(r, { containers: [], images: [] }))}`, body: jsonGarbage },
  { method: 'POST', path: (r, t) => `/containers/${badId(r, t)}/exec`, body: (r) => (r() < 0.5 ? jsonGarbage(r) : `{"Cmd":${badValue(r)},"AttachStdout":true}`) },
  { method: 'POST', path: (r) => `/exec/${pick(r, ['missing', '..', '%00', 'x'.repeat(2000)])}/start`, body: jsonGarbage },
  { method: 'POST', path: (r) => `/exec/${pick(r, ['missing', '..'])}/resize${query(r)}` },
  { method: 'GET', path: (r) => `/exec/${pick(r, ['missing', '..', '%00'])}/json` },
  { method: 'GET', path: (r) => `/images/json${query(r)}` },
  { method: 'GET', path: (r, t) => `/images/${badImage(r, t)}/json` },
  { method: 'GET', path: (r, t) => `/images/${badImage(r, t)}/history` },
  { method: 'POST', path: (r, t) => `/images/${badImage(r, t)}/tag${query(r)}` },
  { method: 'DELETE', path: (r) => `/images/${badImage(r, { containers: [], images: [] })}${query(r)}` },
  { method: 'POST', path: (r) => `/images/create?fromSrc=-&repo=${encodeURIComponent(pick(r, ['fz', 'BAD', 'a:b:c', '']))}${r() < 0.3 ? `&changes=${encodeURIComponent(pick(r, ['RUN x', 'CMD', 'EXPOSE abc', 'ENV', 'USER']))}` : ''}`,
    body: (r) => pick(r, ['', 'garbage', '\u001f\u008b\u0008\u0000trunc', '\u0028\u00b5\u002f\u00fdgarbage', 'BZh9', '\u00fd7zXZ\u0000garbage', 'x'.repeat(3000)]) },
  { method: 'POST', path: (r) => `/images/create${query(r)}` },
  { method: 'GET', path: (r) => `/volumes${query(r)}` },
  { method: 'POST', path: () => '/volumes/create', body: (r) => (r() < 0.5 ? jsonGarbage(r) : `{"Name":${badValue(r)},"Driver":"local"}`) },
  { method: 'POST', path: () => '/volumes/create', body: (r) => `{"Name":"fz${Math.floor(r() * 5)}","DriverOpts":{"type":${badValue(r)},"o":"size=${pick(r, EXTREME_NUMBERS)}"}}` },
  { method: 'GET', path: (r) => `/volumes/${pick(r, ['missing', '..', '%00', 'fz1', 'x'.repeat(300)])}` },
  { method: 'DELETE', path: (r) => `/volumes/${pick(r, ['missing', '..', '%00', 'fz1', 'fz2'])}${query(r)}` },
  { method: 'POST', path: (r) => `/volumes/prune${query(r)}` },
  { method: 'GET', path: (r) => `/networks${query(r)}` },
  { method: 'GET', path: (r) => `/networks/${pick(r, ['missing', '..', '%00', 'none', 'host', 'bridge'])}${query(r)}` },
  { method: 'POST', path: (r) => `/networks/${pick(r, ['missing', 'none', '..'])}/connect`, body: (r) => `{"Container":${JSON.stringify(pick(r, ["fz-run", "missing", "..", "\u0000"]))}}` },
];

const WRONG_METHODS = ['PATCH', 'OPTIONS', 'TRACE', 'PUT', 'DELETE', 'GET', 'POST', 'FOO', 'G ET'];

function request(method: string, path: string, headers: Record<string, string>, body: Buffer | null): Buffer {
  const h: Record<string, string> = { Host: 'docker', ...headers };
  if (body !== null && !('Transfer-Encoding' in h)) h['Content-Length'] = String(body.length);
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body ?? Buffer.alloc(0)]);
}

/** The n-th case of the run seeded with `seed`; the same n and seed always give the same case. */
export function fuzzCase(seed: number, n: number, t: FuzzTargets): FuzzCase {
  const r = rng((seed * 2654435761 + n) >>> 0);
  const ep = pick(r, ENDPOINTS);
  const version = pick(r, VERSIONS);
  const path = version + ep.path(r, t);
  const bodyText = ep.body ? ep.body(r) : null;
  const body = bodyText === null ? null : Buffer.from(bodyText, 'utf8');
  const json = { 'Content-Type': 'application/json' };
  const roll = r();
  if (roll < 0.55) {
    return { kind: `endpoint ${ep.method}`, chunks: [request(ep.method, path, body ? json : {}, body)], ...(ep.streams ? { headOnly: true } : {}) };
  }
  if (roll < 0.62) return { kind: 'wrong method', chunks: [request(pick(r, WRONG_METHODS), path, {}, null)] };
  if (roll < 0.67) {
    // Chunked bodies: well-formed, truncated, or with a bad chunk size.
    const data = body ?? Buffer.from('{}');
    const cut = Math.floor(r() * data.length);
    const bad = pick(r, ['zz\r\n', '-1\r\n', 'ffffffffffffffff\r\n', `${data.length.toString(16)}\r\n`, '0\r\n\r\n']);
    const chunked = Buffer.concat([
      request(ep.method, path, { ...json, 'Transfer-Encoding': 'chunked' }, null),
      Buffer.from(`${cut.toString(16)}\r\n`), data.subarray(0, cut), Buffer.from('\r\n'), Buffer.from(bad),
    ]);
    return { kind: 'chunked garbage', chunks: [chunked], closeAfterMs: 300 };
  }
  if (roll < 0.70) {
    const h: Record<string, string> = { 'X-Big': 'h'.repeat(pick(r, [8_000, 17_000, 70_000])) };
    return { kind: 'huge header', chunks: [request('GET', `${version}/_ping`, h, null)] };
  }
  if (roll < 0.73) {
    // A declared body far over the limit, and a real one a little over it (the suite's daemon takes 1 MiB).
    const real = r() < 0.5;
    const c = real ? request('POST', `${version}/containers/create`, json, Buffer.from(`{"Image":"busybox","Labels":{"a":"${'z'.repeat(1_100_000)}"}}`))
      : Buffer.concat([request('POST', `${version}/containers/create`, { ...json, 'Content-Length': '999999999999' }, null), Buffer.from('{"Image":')]);
    return { kind: real ? 'huge body' : 'huge declared body', chunks: [c], closeAfterMs: 500 };
  }
  if (roll < 0.78) {
    // Truncated: the request stops part-way and the client leaves.
    const full = request(ep.method, path, body ? json : {}, body ?? Buffer.from('{"Image":"busybox"}'));
    return { kind: 'truncated request', chunks: [full.subarray(0, Math.floor(r() * full.length))], closeAfterMs: 50 + Math.floor(r() * 200) };
  }
  if (roll < 0.83) {
    const raw = pick(r, ['GET / HTTP/1.1\r\n\r\n', 'HELLO\r\n\r\n', '\u0000\u0001\u0002\r\n\r\n', 'GET /_ping HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET /_ping HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n', 'GET /_ping HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /containers/%00/json HTTP/1.1\r\nHost: x\r\n\r\n', 'GET http://evil/_ping HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /_ping\u0000 HTTP/1.1\r\nHost: x\r\n\r\n', 'POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}']);
    return { kind: 'raw garbage', chunks: [Buffer.from(raw, 'latin1')], closeAfterMs: 300 };
  }
  if (roll < 0.90) {
    // Hijacks closed early: before the 101, right after it, or after a half-close.
    const id = badId(r, t);
    const up = request('POST', `${version}/containers/${id}/attach?stream=1&stdout=1&stderr=1${r() < 0.5 ? '&stdin=1' : ''}${r() < 0.3 ? '&logs=1' : ''}`,
      { 'Content-Type': 'text/plain', Connection: 'Upgrade', Upgrade: 'tcp' }, Buffer.alloc(0));
    return { kind: 'hijack closed early', chunks: [up], closeAfterMs: pick(r, [0, 5, 50, 200]), headOnly: true };
  }
  if (roll < 0.95) {
    // A slow client: the request a few bytes at a time.
    const full = request(ep.method, path, body ? json : {}, body && body.length < 4000 ? body : null);
    const pieces: Buffer[] = [];
    for (let off = 0; off < full.length;) {
      const n = 1 + Math.floor(r() * Math.max(1, full.length / 4));
      pieces.push(full.subarray(off, off + n));
      off += n;
    }
    return { kind: 'slow client', chunks: pieces.slice(0, 12), delayMs: 20, closeAfterMs: 400, headOnly: true };
  }
  // Nothing at all, or headers that never end: the headers timeout must close these.
  return { kind: 'silent client', chunks: r() < 0.5 ? [] : [Buffer.from('GET /_ping HTTP/1.1\r\nHost: x\r\n')], closeAfterMs: 150 };
}

/**
 * Whether `got` holds a whole response: the daemon keeps HTTP/1.1
 * connections open, so the client must know when the answer is complete
 * rather than wait for a close.
 */
function answered(got: Buffer, head: boolean): boolean {
  const end = got.indexOf('\r\n\r\n');
  const headers = got.subarray(0, end).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headers)?.[1]);
  if (head || status === 204 || status === 304 || status === 101) return true;
  const body = got.length - end - 4;
  const length = /\r\ncontent-length: *(\d+)/i.exec(headers);
  if (length) return body >= Number(length[1]);
  if (/\r\ntransfer-encoding: *chunked/i.test(headers)) return got.subarray(got.length - 5).toString('latin1') === '0\r\n\r\n';
  return false;
}

export interface FuzzOutcome {
  status: number | null;
  ms: number;
}

/**
 * Sends one case and reads the status line. Gives up after `timeoutMs`
 * (streams answer 200 and go on; a silent or cut connection answers
 * nothing) and always closes the connection.
 */
export function sendCase(socket: string, c: FuzzCase, timeoutMs = 5000): Promise<FuzzOutcome> {
  const head = c.chunks[0]?.subarray(0, 5).toString('latin1') === 'HEAD ';
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(socket);
    let got = Buffer.alloc(0);
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = () => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      s.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got.subarray(0, 20).toString('latin1'));
      resolve({ status: m ? Number(m[1]) : null, ms: Date.now() - t0 });
    };
    s.on('error', finish);
    s.on('close', finish);
    s.on('data', (b: Buffer) => {
      got = Buffer.concat([got, b]);
      if (got.includes('\r\n\r\n') && (c.headOnly || answered(got, head))) finish();
    });
    s.on('end', finish);
    s.on('connect', () => {
      let at = 0;
      c.chunks.forEach((chunk, i) => {
        at = i * (c.delayMs ?? 0);
        timers.push(setTimeout(() => { if (!done) s.write(chunk); }, at));
      });
      if (c.closeAfterMs !== undefined) timers.push(setTimeout(finish, at + c.closeAfterMs));
    });
    timers.push(setTimeout(finish, timeoutMs));
  });
}

export interface FuzzReport {
  requests: number;
  byStatus: Record<string, number>;
  /** Cases answered 5xx: each a finding. */
  serverErrors: Array<{ n: number; kind: string; status: number; request: string }>;
  ms: number;
}

/** Runs cases [from, from+count) of a seed with `concurrency` clients at once. */
export async function runFuzz(opts: { socket: string; seed: number; count: number; from?: number; concurrency?: number; targets: FuzzTargets; timeoutMs?: number }): Promise<FuzzReport> {
  const t0 = Date.now();
  const report: FuzzReport = { requests: 0, byStatus: {}, serverErrors: [], ms: 0 };
  let next = opts.from ?? 0;
  const end = next + opts.count;
  const worker = async () => {
    while (next < end) {
      const n = next++;
      const c = fuzzCase(opts.seed, n, opts.targets);
      const out = await sendCase(opts.socket, c, opts.timeoutMs);
      report.requests++;
      const key = out.status === null ? 'none' : String(out.status);
      report.byStatus[key] = (report.byStatus[key] ?? 0) + 1;
      if (out.status !== null && out.status >= 500) {
        const first = c.chunks[0]?.subarray(0, 300).toString('latin1') ?? '';
        report.serverErrors.push({ n, kind: c.kind, status: out.status, request: first });
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  report.ms = Date.now() - t0;
  return report;
}
