// The route table: which handler serves which docker endpoint. Paths are
// the swagger's, without the /v{version} prefix (the server strips it).
// duringBoot marks the reads served while a restarted daemon's start-up
// steps still run (router.ts); the rest wait for those steps.

import type { Route } from './router.ts';
import * as system from './handlers/system.ts';
import * as containers from './handlers/containers.ts';
import * as streams from './handlers/streams.ts';
import { logs } from './handlers/logs.ts';
import { attach } from './handlers/attach.ts';
import { attachWs } from './handlers/attach-ws.ts';
import * as images from './handlers/images.ts';
import * as distribution from './handlers/distribution.ts';
import * as imageArchive from './handlers/image-archive.ts';
import * as commit from './handlers/commit.ts';
import * as archive from './handlers/archive.ts';
import * as volumes from './handlers/volumes.ts';
import * as observe from './handlers/observe.ts';
import * as exec from './handlers/exec.ts';
import * as manage from './handlers/manage.ts';
import * as networks from './handlers/networks.ts';
import * as build from './handlers/build.ts';

export const routes: readonly Route[] = [
  { method: 'GET', path: '/_ping', handler: system.ping, duringBoot: true },
  { method: 'HEAD', path: '/_ping', handler: system.ping, duringBoot: true },
  { method: 'GET', path: '/version', handler: system.version, duringBoot: true },
  { method: 'GET', path: '/info', handler: system.info, duringBoot: true },
  { method: 'GET', path: '/events', handler: system.events, duringBoot: true },
  { method: 'GET', path: '/system/df', handler: system.diskUsage },

  { method: 'POST', path: '/containers/create', handler: containers.create },
  { method: 'POST', path: '/containers/prune', handler: containers.prune },
  { method: 'GET', path: '/containers/json', handler: containers.list, duringBoot: true },
  { method: 'GET', path: '/containers/{id}/json', handler: containers.inspect, duringBoot: true },
  { method: 'POST', path: '/containers/{id}/start', handler: containers.start },
  { method: 'POST', path: '/containers/{id}/stop', handler: containers.stop },
  { method: 'POST', path: '/containers/{id}/kill', handler: containers.kill },
  { method: 'POST', path: '/containers/{id}/restart', handler: containers.restart },
  { method: 'DELETE', path: '/containers/{id}', handler: containers.remove },
  { method: 'POST', path: '/containers/{id}/resize', handler: containers.resize },
  { method: 'GET', path: '/containers/{id}/export', handler: containers.exportFs },
  { method: 'POST', path: '/containers/{id}/wait', handler: streams.wait },
  { method: 'GET', path: '/containers/{id}/logs', handler: logs, duringBoot: true },
  { method: 'POST', path: '/containers/{id}/attach', hijack: attach },
  { method: 'GET', path: '/containers/{id}/attach/ws', hijack: attachWs },
  { method: 'GET', path: '/containers/{id}/changes', handler: commit.changes },
  { method: 'POST', path: '/commit', handler: commit.commit },
  { method: 'HEAD', path: '/containers/{id}/archive', handler: archive.head },
  { method: 'GET', path: '/containers/{id}/archive', handler: archive.get },
  { method: 'PUT', path: '/containers/{id}/archive', handler: archive.put },
  { method: 'GET', path: '/containers/{id}/top', handler: observe.top, duringBoot: true },
  { method: 'GET', path: '/containers/{id}/stats', handler: observe.stats, duringBoot: true },
  { method: 'POST', path: '/containers/{id}/pause', handler: manage.pause },
  { method: 'POST', path: '/containers/{id}/unpause', handler: manage.unpause },
  { method: 'POST', path: '/containers/{id}/rename', handler: manage.rename },
  { method: 'POST', path: '/containers/{id}/update', handler: manage.update },
  { method: 'POST', path: '/build', handler: build.build },
  { method: 'POST', path: '/build/prune', handler: build.prune },

  { method: 'POST', path: '/containers/{id}/exec', handler: exec.create },
  { method: 'POST', path: '/exec/{id}/start', hijack: exec.start },
  { method: 'POST', path: '/exec/{id}/resize', handler: exec.resize },
  { method: 'GET', path: '/exec/{id}/json', handler: exec.inspect, duringBoot: true },

  { method: 'GET', path: '/images/json', handler: images.list, duringBoot: true },
  { method: 'POST', path: '/images/create', handler: images.create },
  { method: 'POST', path: '/images/prune', handler: images.prune },
  { method: 'GET', path: '/images/{name*}/json', handler: images.inspect, duringBoot: true },
  { method: 'GET', path: '/images/{name*}/history', handler: images.history, duringBoot: true },
  { method: 'POST', path: '/images/{name*}/push', handler: distribution.push },
  { method: 'POST', path: '/auth', handler: distribution.login },
  { method: 'GET', path: '/images/search', handler: distribution.search },
  { method: 'POST', path: '/images/{name*}/tag', handler: images.tag },
  { method: 'GET', path: '/images/get', handler: imageArchive.saveMany },
  { method: 'GET', path: '/images/{name*}/get', handler: imageArchive.saveOne },
  { method: 'POST', path: '/images/load', handler: imageArchive.load },
  { method: 'DELETE', path: '/images/{name*}', handler: images.remove },

  { method: 'POST', path: '/volumes/create', handler: volumes.create },
  { method: 'GET', path: '/volumes', handler: volumes.list, duringBoot: true },
  { method: 'POST', path: '/volumes/prune', handler: volumes.prune },
  { method: 'GET', path: '/volumes/{name}', handler: volumes.inspect, duringBoot: true },
  { method: 'DELETE', path: '/volumes/{name}', handler: volumes.remove },

  { method: 'GET', path: '/networks', handler: networks.list, duringBoot: true },
  { method: 'POST', path: '/networks/create', handler: networks.create },
  { method: 'POST', path: '/networks/prune', handler: networks.prune },
  { method: 'GET', path: '/networks/{id}', handler: networks.inspect, duringBoot: true },
  { method: 'DELETE', path: '/networks/{id}', handler: networks.remove },
  { method: 'POST', path: '/networks/{id}/connect', handler: networks.connect },
  { method: 'POST', path: '/networks/{id}/disconnect', handler: networks.disconnect },
];
