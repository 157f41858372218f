// berthd as a registry: an opt-in listener serving the engine's own image
// store read-only over the OCI Distribution protocol, so other hosts pull
// this host's images (`docker pull thishost:5001/app:v1`, skopeo, crane)
// with no push and no second copy of any blob. It is `berth registry
// serve`'s server (same handlers, auth and TLS) over the engine's store
// (src/registry/engine-store.ts) instead of a registry root.
//
//   flag                     daemon.json            meaning
//   --registry-listen A:P    "registry-listen"      listen on A:P (none: no listener)
//   --registry-config FILE   "registry-config"      a registry config file (as for
//                                                   `berth registry serve --config`):
//                                                   its "auth" and "tls" are used
//   --registry-htpasswd F    "registry-htpasswd"    Basic auth (bcrypt htpasswd)
//   --registry-token         "registry-token"       Bearer tokens (built-in token service)
//   --registry-tls-cert F    "registry-tls-cert"    TLS certificate (PEM)
//   --registry-tls-key F     "registry-tls-key"     TLS key (PEM)
//
// Pushes and deletes answer 405 UNSUPPORTED, as a read-only registry does.

import { invalid } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { type RegistryConfig, loadConfig } from '../registry/config.ts';
import { EngineStore } from '../registry/engine-store.ts';
import { RegistryServer } from '../registry/server.ts';
import type { FileContentStore } from '../stores/content.ts';
import type { ImageRepository } from '../stores/metadata/images.ts';

export const REGISTRY_FILE_KEYS = {
  'registry-listen': 'registryListen',
  'registry-config': 'registryConfig',
  'registry-htpasswd': 'registryHtpasswd',
  'registry-token': 'registryToken',
  'registry-tls-cert': 'registryTlsCert',
  'registry-tls-key': 'registryTlsKey',
} as const;

type Field = typeof REGISTRY_FILE_KEYS[keyof typeof REGISTRY_FILE_KEYS];

/** The listener's configuration from flags or daemon.json (get), checked now; null when not asked for. */
export function registryListenerConfig(get: (f: Field) => string | undefined): RegistryConfig | null {
  const listen = get('registryListen');
  const others = (['registryConfig', 'registryHtpasswd', 'registryToken', 'registryTlsCert', 'registryTlsKey'] as const).filter((f) => get(f) !== undefined);
  if (!listen) {
    if (others.length) throw invalid('registry listener options need --registry-listen (daemon.json "registry-listen")');
    return null;
  }
  const opt = (f: Field) => get(f);
  const cfg = loadConfig({
    listen,
    ...(opt('registryConfig') ? { config: opt('registryConfig')! } : {}),
    ...(opt('registryHtpasswd') ? { htpasswd: opt('registryHtpasswd')! } : {}),
    ...(opt('registryToken') === 'true' ? { token: true } : {}),
    ...(opt('registryTlsCert') ? { tlsCert: opt('registryTlsCert')! } : {}),
    ...(opt('registryTlsKey') ? { tlsKey: opt('registryTlsKey')! } : {}),
  });
  if (cfg.proxy) throw invalid('registry-config: "proxy" does not apply to berthd\'s registry listener (it serves the engine\'s images)');
  if (cfg.gc.intervalMs > 0) throw invalid('registry-config: "gc" does not apply to berthd\'s registry listener (the engine collects its own garbage)');
  return { ...cfg, readOnly: true, deleteEnabled: false };
}

export interface RegistryListenerDeps {
  images: Pick<ImageRepository, 'get' | 'tagTarget' | 'allTags' | 'allDigests'>;
  content: FileContentStore;
  log: Logger;
}

/** Starts the listener; returns its close function. */
export async function startRegistryListener(config: RegistryConfig, deps: RegistryListenerDeps): Promise<() => Promise<void>> {
  const server = new RegistryServer({
    config: { ...config, log: (line) => deps.log.warn(line) },
    store: new EngineStore(deps.images, deps.content),
  });
  let addr;
  try {
    addr = await server.listen();
  } catch (err) {
    await server.close();
    throw invalid(`cannot listen for the registry on ${config.listen}: ${(err as Error).message}`);
  }
  deps.log.info('registry listening (read-only, the image store)', {
    addr: `${addr.host}:${addr.port}`, tls: !!config.tls, auth: config.auth?.token ? 'token' : config.auth?.htpasswd ? 'htpasswd' : 'none',
  });
  return () => server.close();
}
