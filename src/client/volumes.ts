// Volume endpoints.

import type { Requester } from './client.ts';
import { escapeSegment } from './containers.ts';
import type { Volume, VolumeCreateBody, VolumeListResponse, VolumePruneResponse } from './types.ts';

export class VolumesApi {
  #r: Requester;

  constructor(requester: Requester) {
    this.#r = requester;
  }

  async create(body: VolumeCreateBody): Promise<Volume> {
    return (await this.#r.callJson<Volume>('POST', '/volumes/create', { json: body })).value;
  }

  async list(opts: { filters?: string } = {}): Promise<VolumeListResponse> {
    const { value } = await this.#r.callJson<VolumeListResponse>('GET', '/volumes', { query: { filters: opts.filters || undefined } });
    return { Volumes: value?.Volumes ?? [], Warnings: value?.Warnings ?? null };
  }

  inspect(name: string): Promise<{ value: Volume; raw: Buffer }> {
    return this.#r.callJson<Volume>('GET', `/volumes/${escapeSegment(name)}`);
  }

  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const res = await this.#r.call('DELETE', `/volumes/${escapeSegment(name)}`, { query: { force: opts.force || undefined } });
    res.resume();
  }

  async prune(opts: { filters?: string } = {}): Promise<VolumePruneResponse> {
    const { value } = await this.#r.callJson<VolumePruneResponse>('POST', '/volumes/prune', { query: { filters: opts.filters || undefined } });
    return { VolumesDeleted: value?.VolumesDeleted ?? [], SpaceReclaimed: value?.SpaceReclaimed ?? 0 };
  }
}
