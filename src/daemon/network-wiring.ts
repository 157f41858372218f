// Glue between the daemon's config and src/network.

import type { EventSink } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import type { Database } from '../stores/metadata/database.ts';
import { NetworkManager } from '../network/attachments.ts';
import { networkConfig } from '../network/config.ts';
import { Iptables } from '../network/iptables.ts';
import { Plumbing } from '../network/plumbing.ts';
import { NetworkStore } from '../network/store.ts';
import type { DaemonConfig } from './config.ts';

export function createNetworking(o: { config: DaemonConfig; db: Database; events: EventSink; logger: Logger }): NetworkManager {
  const cfg = networkConfig(o.config.network);
  // The tag names this daemon's chains and marks its devices; the default
  // bridge's name is unique per daemon on a host.
  const tag = cfg.bridge;
  return new NetworkManager({
    store: new NetworkStore(o.db), plumbing: new Plumbing(o.config.execRoot),
    iptables: cfg.iptables ? new Iptables(tag, o.logger) : null,
    events: o.events, logger: o.logger, config: cfg, tag,
    containers: o.db.containers,
  });
}
