// The typed Engine API client: what src/cli (and tests) import.

export { EngineClient, CLIENT_API_VERSION, FALLBACK_API_VERSION, compareVersions } from './client.ts';
export type { ClientOptions, Requester, CallOptions } from './client.ts';
export { ApiError, ConnectionError, StreamError, isNotFound } from './errors.ts';
export { DEFAULT_HOST, resolveHost, parseHost } from './host.ts';
export type { HostAddress } from './host.ts';
export { FrameDemuxer, encodeFrame, copyDemuxed, copyRaw, STDIN, STDOUT, STDERR, SYSTEMERR } from './stdcopy.ts';
export { JsonObjectSplitter, jsonMessages } from './jsonstream.ts';
export { HijackedConnection, DetachedError, EscapeProxy, parseDetachKeys, DEFAULT_DETACH_KEYS } from './attach.ts';
export type { Waiter, WaitCondition, LogsOptions, AttachOptions, StopOptions, ListOptions } from './containers.ts';
export type { ImportOptions } from './images.ts';
export type { Upgraded } from './transport.ts';
export type * from './types.ts';
