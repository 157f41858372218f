// node:http loaded through require(). Node 24's ESM namespace for node:http
// evaluates every lazy export, which loads http2, zlib, the crypto module and
// undici: about 60 ms at start and several MiB of heap that neither the CLI
// nor the daemon uses. require() loads http alone, and only on first use
// (`berth --version` or `berth ps --help` need no HTTP at all). Import the
// types from 'node:http' with `import type` and the runtime value from here.

// process.getBuiltinModule is require() for built-ins, without the resolver
// createRequire(import.meta.url) sets up (path work the CLI paid at every start).

let http: typeof import('node:http') | undefined;
/** node:http, loaded on first use. */
export function nodeHttp(): typeof import('node:http') {
  http ??= process.getBuiltinModule('node:http');
  return http;
}

let https: typeof import('node:https') | undefined;
/** node:https, loaded on first use (only a TLS client needs it). */
export function nodeHttps(): typeof import('node:https') {
  https ??= process.getBuiltinModule('node:https');
  return https;
}
