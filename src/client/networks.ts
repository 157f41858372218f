// Network endpoints.

import type { Requester } from './client.ts';
import { escapeSegment } from './containers.ts';
import type { EndpointConfigBody, NetworkCreateBody, NetworkResource } from './types.ts';

export class NetworksApi {
  #r: Requester;

  constructor(requester: Requester) {
    this.#r = requester;
  }

  async create(body: NetworkCreateBody): Promise<{ Id: string; Warning?: string }> {
    return (await this.#r.callJson<{ Id: string; Warning?: string }>('POST', '/networks/create', { json: body })).value;
  }

  async list(opts: { filters?: string } = {}): Promise<NetworkResource[]> {
    const { value } = await this.#r.callJson<NetworkResource[]>('GET', '/networks', { query: { filters: opts.filters || undefined } });
    return value ?? [];
  }

  inspect(name: string): Promise<{ value: NetworkResource; raw: Buffer }> {
    return this.#r.callJson<NetworkResource>('GET', `/networks/${escapeSegment(name)}`);
  }

  async remove(name: string): Promise<void> {
    (await this.#r.call('DELETE', `/networks/${escapeSegment(name)}`)).resume();
  }

  async prune(opts: { filters?: string } = {}): Promise<string[]> {
    const { value } = await this.#r.callJson<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', { query: { filters: opts.filters || undefined } });
    return value?.NetworksDeleted ?? [];
  }

  async connect(network: string, container: string, endpoint: EndpointConfigBody = {}): Promise<void> {
    (await this.#r.call('POST', `/networks/${escapeSegment(network)}/connect`, { json: { Container: container, EndpointConfig: endpoint } })).resume();
  }

  async disconnect(network: string, container: string, force = false): Promise<void> {
    (await this.#r.call('POST', `/networks/${escapeSegment(network)}/disconnect`, { json: { Container: container, Force: force } })).resume();
  }
}
