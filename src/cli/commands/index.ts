// Every `berth` command, in the order `berth --help` lists them, and the
// management groups (`berth image ls`, `berth container rm`...) that reuse
// them under docker's second names.
//
// A command's module is imported only when that command runs: the CLI's
// start time is mostly module loading, so `berth ps` must not compile `run`.
// This table holds what the root and group help print (name, description);
// the module's CommandDef holds the rest (usage, flags, action). To add a
// command: export its CommandDef from a file here and add one line below.

import type { CommandDef } from '../command.ts';

export interface CommandEntry {
  name: string;
  description: string;
  aliases?: string[];
  load(): Promise<CommandDef>;
}

export interface CommandGroup {
  name: string;
  description: string;
  commands: CommandEntry[];
}

const entry = (name: string, description: string, load: () => Promise<CommandDef>): CommandEntry => ({ name, description, load });

const run = entry('run', 'Create and run a new container from an image', async () => (await import('./run.ts')).run);
const create = entry('create', 'Create a new container', async () => (await import('./create.ts')).create);
const start = entry('start', 'Start one or more stopped containers', async () => (await import('./start.ts')).start);
const stop = entry('stop', 'Stop one or more running containers', async () => (await import('./lifecycle.ts')).stop);
const kill = entry('kill', 'Kill one or more running containers', async () => (await import('./lifecycle.ts')).kill);
const restart = entry('restart', 'Restart one or more containers', async () => (await import('./lifecycle.ts')).restart);
const rm = { ...entry('rm', 'Remove one or more containers', async () => (await import('./lifecycle.ts')).rm), aliases: ['remove'] };
const wait = entry('wait', 'Block until one or more containers stop, then print their exit codes', async () => (await import('./lifecycle.ts')).wait);
const ps = entry('ps', 'List containers', async () => (await import('./ps.ts')).ps);
const logs = entry('logs', 'Fetch the logs of a container', async () => (await import('./logs.ts')).logs);
const inspect = entry('inspect', 'Return low-level information on berth objects', async () => (await import('./inspect.ts')).inspect);
const exportCmd = entry('export', "Export a container's filesystem as a tar archive", async () => (await import('./export.ts')).exportCmd);
const images = entry('images', 'List images', async () => (await import('./images.ts')).images);
const rmi = entry('rmi', 'Remove one or more images', async () => (await import('./images-manage.ts')).rmi);
const tag = entry('tag', 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', async () => (await import('./images-manage.ts')).tag);
const importCmd = entry('import', 'Import the contents from a tarball to create a filesystem image', async () => (await import('./images-manage.ts')).importCmd);
const save = entry('save', 'Save one or more images to a tar archive (streamed to STDOUT by default)', async () => (await import('./save-load.ts')).save);
const load = entry('load', 'Load an image from a tar archive or STDIN', async () => (await import('./save-load.ts')).load);
const containerPrune = entry('container prune', 'Remove all stopped containers', async () => (await import('./container-prune.ts')).containerPrune);
const systemDf = entry('system df', 'Show berth disk usage', async () => (await import('./system-df.ts')).systemDf);
const systemPrune = entry('system prune', 'Remove unused data', async () => (await import('./system-prune.ts')).systemPrune);
const imagePrune = entry('image prune', 'Remove unused images', async () => (await import('./image-prune.ts')).imagePrune);
const history = entry('history', 'Show the history of an image', async () => (await import('./history.ts')).history);
const version = entry('version', 'Show the berth version information', async () => (await import('./version.ts')).version);
const info = entry('info', 'Display system-wide information', async () => (await import('./info.ts')).info);
const containerInspect = entry('container inspect', 'Display detailed information on one or more containers', async () => (await import('./inspect.ts')).containerInspect);
const commit = entry('commit', "Create a new image from a container's changes", async () => (await import('./commit.ts')).commit);
const diff = entry('diff', "Inspect changes to files or directories on a container's filesystem", async () => (await import('./commit.ts')).diff);
const pull = entry('pull', 'Download an image from a registry', async () => (await import('./pull-push.ts')).pull);
const push = entry('push', 'Upload an image to a registry', async () => (await import('./pull-push.ts')).push);
const build = entry('build', 'Build an image from a Dockerfile', async () => (await import('./build.ts')).build);
const builderPrune = entry('builder prune', 'Remove build cache', async () => (await import('./build.ts')).builderPrune);
const login = entry('login', 'Authenticate to a registry', async () => (await import('./login.ts')).login);
const logout = entry('logout', 'Log out from a registry', async () => (await import('./login.ts')).logout);
const searchCmd = entry('search', 'Search Docker Hub for images', async () => (await import('./search.ts')).search);
const registryServe = entry('registry serve', 'Run a registry server (OCI Distribution / Docker Registry v2)', async () => (await import('./registry.ts')).registryServe);
const registryGc = entry('registry gc', "Remove blobs no manifest references from a registry's storage (safe while it serves)", async () => (await import('./registry.ts')).registryGc);
const networkCreate = entry('network create', 'Create a network', async () => (await import('./network.ts')).networkCreate);
const networkConnect = entry('network connect', 'Connect a container to a network', async () => (await import('./network.ts')).networkConnect);
const networkDisconnect = entry('network disconnect', 'Disconnect a container from a network', async () => (await import('./network.ts')).networkDisconnect);
const networkInspect = entry('network inspect', 'Display detailed information on one or more networks', async () => (await import('./inspect.ts')).networkInspect);
const networkLs = entry('network ls', 'List networks', async () => (await import('./network.ts')).networkLs);
const networkPrune = entry('network prune', 'Remove all unused networks', async () => (await import('./network.ts')).networkPrune);
const networkRm = entry('network rm', 'Remove one or more networks', async () => (await import('./network.ts')).networkRm);
const port = entry('port', 'List port mappings or a specific mapping for the container', async () => (await import('./network.ts')).port);
const volumeCreate = entry('volume create', 'Create a volume', async () => (await import('./volume.ts')).volumeCreate);
const volumeInspect = entry('volume inspect', 'Display detailed information on one or more volumes', async () => (await import('./inspect.ts')).volumeInspect);
const volumeLs = entry('volume ls', 'List volumes', async () => (await import('./volume.ts')).volumeLs);
const volumePrune = entry('volume prune', 'Remove unused local volumes', async () => (await import('./volume.ts')).volumePrune);
const volumeRm = entry('volume rm', 'Remove one or more volumes', async () => (await import('./volume.ts')).volumeRm);
const pauseCmd = entry('pause', 'Pause all processes within one or more containers', async () => (await import('./container-ops.ts')).pause);
const unpauseCmd = entry('unpause', 'Unpause all processes within one or more containers', async () => (await import('./container-ops.ts')).unpause);
const renameCmd = entry('rename', 'Rename a container', async () => (await import('./container-ops.ts')).rename);
const topCmd = entry('top', 'Display the running processes of a container', async () => (await import('./container-ops.ts')).top);
const updateCmd = entry('update', 'Update configuration of one or more containers', async () => (await import('./container-ops.ts')).update);
const execCmd = entry('exec', 'Execute a command in a running container', async () => (await import('./exec.ts')).exec);
const attachCmd = entry('attach', 'Attach local standard input, output, and error streams to a running container', async () => (await import('./attach.ts')).attach);
const cpCmd = entry('cp', 'Copy files/folders between a container and the local filesystem', async () => (await import('./cp.ts')).cp);
const statsCmd = entry('stats', "Display a live stream of container(s) resource usage statistics", async () => (await import('./stats.ts')).stats);
const eventsCmd = entry('events', 'Get real time events from the server', async () => (await import('./events.ts')).events);
const imageInspect = entry('image inspect', 'Display detailed information on one or more images', async () => (await import('./inspect.ts')).imageInspect);

export function commands(): CommandEntry[] {
  return [
    run, create, start, stop, kill, restart, rm, wait, ps, logs, inspect, exportCmd,
    images, rmi, tag, importCmd, save, load, history, version, info, commit, diff, pull, push, login, logout, searchCmd, build, port,
    pauseCmd, unpauseCmd, renameCmd, topCmd, updateCmd,
    execCmd, attachCmd, cpCmd, statsCmd, eventsCmd,
  ];
}

/** The same command under a group's name (`container rm`), with docker's aliases there. */
function as(e: CommandEntry, name: string, aliases: string[] = []): CommandEntry {
  return { ...e, name, aliases };
}

export function groups(): CommandGroup[] {
  return [
    {
      name: 'container',
      description: 'Manage containers',
      commands: [
        as(commit, 'container commit'), as(create, 'container create'), as(diff, 'container diff'), as(exportCmd, 'container export'), containerInspect, as(kill, 'container kill'),
        as(logs, 'container logs'), as(ps, 'container ls', ['list', 'ps']), as(port, 'container port'), as(restart, 'container restart'),
        as(rm, 'container rm', ['remove']), as(run, 'container run'), as(start, 'container start'),
        as(stop, 'container stop'), as(wait, 'container wait'),
        as(pauseCmd, 'container pause'), as(unpauseCmd, 'container unpause'), as(renameCmd, 'container rename'),
        as(topCmd, 'container top'), as(updateCmd, 'container update'), containerPrune,
        as(execCmd, 'container exec'), as(attachCmd, 'container attach'), as(cpCmd, 'container cp'), as(statsCmd, 'container stats'),
      ],
    },
    {
      name: 'image',
      description: 'Manage images',
      commands: [
        as(build, 'image build'), as(history, 'image history'), as(importCmd, 'image import'), imageInspect, as(load, 'image load'), as(images, 'image ls', ['list']), imagePrune, as(pull, 'image pull'), as(push, 'image push'),
        as(rmi, 'image rm', ['remove']), as(save, 'image save'), as(tag, 'image tag'),
      ],
    },
    {
      name: 'builder',
      description: 'Manage builds',
      commands: [builderPrune],
    },
    {
      name: 'registry',
      description: 'Run and manage a registry server',
      commands: [registryGc, registryServe],
    },
    {
      name: 'network',
      description: 'Manage networks',
      commands: [
        networkConnect, networkCreate, networkDisconnect, networkInspect, as(networkLs, 'network ls', ['list']),
        networkPrune, as(networkRm, 'network rm', ['remove']),
      ],
    },
    {
      name: 'volume',
      description: 'Manage volumes',
      commands: [volumeCreate, volumeInspect, as(volumeLs, 'volume ls', ['list']), volumePrune, as(volumeRm, 'volume rm', ['remove'])],
    },
    {
      name: 'system',
      description: 'Manage berth',
      commands: [systemDf, as(eventsCmd, 'system events'), as(info, 'system info'), systemPrune],
    },
  ];
}

/** The command's definition under the entry's name, aliases and description. */
export async function loadCommand(e: CommandEntry): Promise<CommandDef> {
  const def = await e.load();
  return { ...def, name: e.name, aliases: e.aliases ?? def.aliases, description: e.description };
}
