// node:http loaded through require(). Node 24's ESM namespace for node:http
// evaluates every lazy export, which loads http2, zlib, the crypto module and
// undici: about 60 ms at start and several MiB of heap that neither the CLI
// nor the daemon uses. require() loads http alone. Import the types from
// 'node:http' with `import type` and the runtime value from here.

import { createRequire } from 'node:module';

export const nodeHttp = createRequire(import.meta.url)('node:http') as typeof import('node:http');
