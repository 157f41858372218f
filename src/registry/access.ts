// What a request needs to be allowed, in the token spec's terms: resource
// scopes like "repository:team/app:pull,push". An Authorizer (auth.ts)
// checks the request's credentials against them.

import type { IncomingMessage } from 'node:http';
import type { Route } from './names.ts';

export type Action = 'pull' | 'push' | 'delete' | 'search' | '*';

export interface Access {
  type: 'repository' | 'registry';
  name: string;
  actions: Action[];
}

export interface Authorizer {
  /** Throws a RegistryError (UNAUTHORIZED with its challenge, or DENIED) unless allowed. */
  authorize(req: IncomingMessage, access: Access[]): Promise<void>;
}

/** The scope string of one access ("repository:a/b:pull,push"). */
export function scopeString(a: Access): string {
  return `${a.type}:${a.name}:${a.actions.join(',')}`;
}

/** The access a request needs; the base endpoint needs none beyond being authenticated. */
export function requiredAccess(route: Route, method: string, url: URL): Access[] {
  const write = method !== 'GET' && method !== 'HEAD';
  switch (route.kind) {
    case 'base':
    case 'v1ping':
      return [];
    // dockerd asks its token for registry:catalog:search before a v1 search.
    case 'search': return [{ type: 'registry', name: 'catalog', actions: ['search'] }];
    case 'catalog': return [{ type: 'registry', name: 'catalog', actions: ['*'] }];
    case 'tags':
    case 'referrers':
      return [{ type: 'repository', name: route.name, actions: ['pull'] }];
    case 'manifest':
    case 'blob':
      if (method === 'DELETE') return [{ type: 'repository', name: route.name, actions: ['delete'] }];
      return [{ type: 'repository', name: route.name, actions: write ? ['pull', 'push'] : ['pull'] }];
    case 'uploads': {
      const out: Access[] = [{ type: 'repository', name: route.name, actions: ['pull', 'push'] }];
      const from = url.searchParams.get('from');
      if (url.searchParams.get('mount') && from && from !== route.name) out.push({ type: 'repository', name: from, actions: ['pull'] });
      return out;
    }
    case 'upload':
      return [{ type: 'repository', name: route.name, actions: ['pull', 'push'] }];
  }
}
