// A plain GET over node:http / node:https, following redirects, for
// `ADD <url>` and `/build?remote=`. Not fetch(): undici's fetch parses HTTP
// with WebAssembly, which V8's lite mode turns off (berthd once ran with
// it, and fetch() then failed: "fetch failed"); node:http has no such tie.

import type { IncomingMessage } from 'node:http';
import { nodeHttp, nodeHttps } from '../sys/node-http.ts';


const IDLE_TIMEOUT_MS = 60_000;

/** The response of a GET (any status but a redirect); throws on a network error, a bad scheme or a redirect loop. */
export async function httpGet(url: string, redirects = 10): Promise<IncomingMessage> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? nodeHttps() : u.protocol === 'http:' ? nodeHttp() : null;
  if (!mod) throw new Error(`unsupported URL scheme "${u.protocol}"`);
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = mod.get(u, { timeout: IDLE_TIMEOUT_MS }, resolve);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${IDLE_TIMEOUT_MS / 1000}s`)));
    req.on('error', reject);
  });
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && res.headers.location) {
    res.resume();
    if (redirects <= 0) throw new Error('too many redirects');
    return httpGet(new URL(res.headers.location, u).toString(), redirects - 1);
  }
  return res;
}

/** Whether the status is a success (2xx). */
export function ok(res: IncomingMessage): boolean {
  const s = res.statusCode ?? 0;
  return s >= 200 && s < 300;
}
