// Raw Engine API calls over a daemon's unix socket: the readiness probe and
// the few compat checks that need the HTTP status the docker CLI hides.

import http from 'node:http';

export interface ApiResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function apiRequest(socketPath: string, method: string, path: string,
  opts: { body?: unknown; timeout?: number } = {}): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = http.request({
      socketPath, method, path,
      // A connection per request: a pooled keep-alive one may have been closed
      // by the daemon while the test blocked its event loop (spawnSync), and
      // the first write to it would fail with EPIPE.
      agent: false,
      headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      timeout: opts.timeout ?? 10_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** True when GET /_ping answers 200 "OK". */
export async function ping(socketPath: string): Promise<boolean> {
  try {
    const r = await apiRequest(socketPath, 'GET', '/_ping', { timeout: 2_000 });
    return r.status === 200 && r.body === 'OK';
  } catch {
    return false;
  }
}
