// pause, unpause, rename, update, top and stats (one-shot or streamed).

import type { IncomingMessage } from 'node:http';
import type { Requester } from './client.ts';
import { escapeSegment } from './containers.ts';

export interface TopResponse { Titles: string[]; Processes: string[][] }

export interface UpdateBody {
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  BlkioWeight?: number;
  PidsLimit?: number;
  RestartPolicy?: { Name: string; MaximumRetryCount: number };
}

export class ContainerOpsApi {
  #r: Requester;

  constructor(requester: Requester) {
    this.#r = requester;
  }

  async pause(id: string): Promise<void> {
    (await this.#r.call('POST', `/containers/${escapeSegment(id)}/pause`)).resume();
  }

  async unpause(id: string): Promise<void> {
    (await this.#r.call('POST', `/containers/${escapeSegment(id)}/unpause`)).resume();
  }

  async rename(id: string, name: string): Promise<void> {
    (await this.#r.call('POST', `/containers/${escapeSegment(id)}/rename`, { query: { name } })).resume();
  }

  async update(id: string, body: UpdateBody): Promise<{ Warnings: string[] | null }> {
    return (await this.#r.callJson<{ Warnings: string[] | null }>('POST', `/containers/${escapeSegment(id)}/update`, { json: body })).value;
  }

  async top(id: string, psArgs?: string): Promise<TopResponse> {
    return (await this.#r.callJson<TopResponse>('GET', `/containers/${escapeSegment(id)}/top`, { query: { ps_args: psArgs || undefined } })).value;
  }

  /**
   * One stats sample with the previous one in precpu_stats (stream=0), its
   * answer read whole; undefined for an empty answer. Concurrent calls each
   * take a connection of their own, as the docker CLI's do.
   */
  async stats(id: string, signal?: AbortSignal): Promise<Record<string, any> | undefined> {
    return (await this.#r.callJson<Record<string, any> | undefined>('GET', `/containers/${escapeSegment(id)}/stats`, { query: { stream: '0' }, signal })).value;
  }

  /** The stats stream: one JSON object per sample (one only, after two reads, with stream=false). */
  statsStream(id: string, stream: boolean, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.#r.call('GET', `/containers/${escapeSegment(id)}/stats`, { query: { stream: stream ? '1' : '0' }, signal });
  }
}
