// Every `berth` command, in the order `berth --help` lists them, and the
// management groups (`berth image ls`, `berth container rm`...) that reuse
// them under docker's second names.
//
// A command's module is imported only when that command runs: the CLI's
// start time is mostly module loading, so `berth ps` must not compile `run`.
// This table holds what the root and group help print (name, description);
// the module's CommandDef holds the rest (usage, flags, action). To add a
// command: export its CommandDef from a file here, add its entry below and
// its description to descriptions().

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

/**
 * An entry whose description (help text only) is looked up when read: the
 * strings of the table below are compiled, and interned by V8, only when
 * help is printed, not at every start (docs/benchmarks.md, CLI start time).
 */
const entry = (name: string, load: () => Promise<CommandDef>, aliases?: string[]): CommandEntry => ({
  name,
  ...(aliases ? { aliases } : {}),
  load,
  get description() { return describe(name); },
});

/** The top-level commands, in the order `berth --help` lists them. */
const COMMANDS: readonly CommandEntry[] = [
  entry('run', async () => (await import('./run.ts')).run),
  entry('create', async () => (await import('./create.ts')).create),
  entry('start', async () => (await import('./start.ts')).start),
  entry('stop', async () => (await import('./lifecycle.ts')).stop),
  entry('kill', async () => (await import('./lifecycle.ts')).kill),
  entry('restart', async () => (await import('./lifecycle.ts')).restart),
  entry('rm', async () => (await import('./lifecycle.ts')).rm, ['remove']),
  entry('wait', async () => (await import('./lifecycle.ts')).wait),
  entry('ps', async () => (await import('./ps.ts')).ps),
  entry('logs', async () => (await import('./logs.ts')).logs),
  entry('inspect', async () => (await import('./inspect.ts')).inspect),
  entry('export', async () => (await import('./export.ts')).exportCmd),
  entry('images', async () => (await import('./images.ts')).images),
  entry('rmi', async () => (await import('./images-manage.ts')).rmi),
  entry('tag', async () => (await import('./images-manage.ts')).tag),
  entry('import', async () => (await import('./images-manage.ts')).importCmd),
  entry('save', async () => (await import('./save-load.ts')).save),
  entry('load', async () => (await import('./save-load.ts')).load),
  entry('history', async () => (await import('./history.ts')).history),
  entry('version', async () => (await import('./version.ts')).version),
  entry('info', async () => (await import('./info.ts')).info),
  entry('commit', async () => (await import('./commit.ts')).commit),
  entry('diff', async () => (await import('./commit.ts')).diff),
  entry('pull', async () => (await import('./pull-push.ts')).pull),
  entry('push', async () => (await import('./pull-push.ts')).push),
  entry('login', async () => (await import('./login.ts')).login),
  entry('logout', async () => (await import('./login.ts')).logout),
  entry('search', async () => (await import('./search.ts')).search),
  entry('build', async () => (await import('./build.ts')).build),
  entry('port', async () => (await import('./network.ts')).port),
  entry('pause', async () => (await import('./container-ops.ts')).pause),
  entry('unpause', async () => (await import('./container-ops.ts')).unpause),
  entry('rename', async () => (await import('./container-ops.ts')).rename),
  entry('top', async () => (await import('./container-ops.ts')).top),
  entry('update', async () => (await import('./container-ops.ts')).update),
  entry('exec', async () => (await import('./exec.ts')).exec),
  entry('attach', async () => (await import('./attach.ts')).attach),
  entry('cp', async () => (await import('./cp.ts')).cp),
  entry('stats', async () => (await import('./stats.ts')).stats),
  entry('events', async () => (await import('./events.ts')).events),
];

export function commands(): readonly CommandEntry[] {
  return COMMANDS;
}

function top(name: string): CommandEntry {
  const e = COMMANDS.find((c) => c.name === name);
  if (!e) throw new Error(`no command ${name}`);
  return e;
}

/** The same command under a group's name (`container rm`), with docker's aliases there. */
function as(e: CommandEntry, name: string, aliases: string[] = []): CommandEntry {
  return { name, aliases, load: e.load, get description() { return e.description; } };
}

/** The management groups; built only for a command that is not a top-level one, and for help. */
export function groups(): CommandGroup[] {
  return [
    {
      name: 'container',
      description: 'Manage containers',
      commands: [
        as(top('commit'), 'container commit'), as(top('create'), 'container create'), as(top('diff'), 'container diff'), as(top('export'), 'container export'), entry('container inspect', async () => (await import('./inspect.ts')).containerInspect), as(top('kill'), 'container kill'),
        as(top('logs'), 'container logs'), as(top('ps'), 'container ls', ['list', 'ps']), as(top('port'), 'container port'), as(top('restart'), 'container restart'),
        as(top('rm'), 'container rm', ['remove']), as(top('run'), 'container run'), as(top('start'), 'container start'),
        as(top('stop'), 'container stop'), as(top('wait'), 'container wait'),
        as(top('pause'), 'container pause'), as(top('unpause'), 'container unpause'), as(top('rename'), 'container rename'),
        as(top('top'), 'container top'), as(top('update'), 'container update'), entry('container prune', async () => (await import('./container-prune.ts')).containerPrune),
        as(top('exec'), 'container exec'), as(top('attach'), 'container attach'), as(top('cp'), 'container cp'), as(top('stats'), 'container stats'),
      ],
    },
    {
      name: 'image',
      description: 'Manage images',
      commands: [
        as(top('build'), 'image build'), as(top('history'), 'image history'), as(top('import'), 'image import'), entry('image inspect', async () => (await import('./inspect.ts')).imageInspect), as(top('load'), 'image load'), as(top('images'), 'image ls', ['list']), entry('image prune', async () => (await import('./image-prune.ts')).imagePrune), as(top('pull'), 'image pull'), as(top('push'), 'image push'),
        as(top('rmi'), 'image rm', ['remove']), as(top('save'), 'image save'), as(top('tag'), 'image tag'),
      ],
    },
    {
      name: 'builder',
      description: 'Manage builds',
      commands: [entry('builder prune', async () => (await import('./build.ts')).builderPrune)],
    },
    {
      name: 'registry',
      description: 'Run and manage a registry server',
      commands: [entry('registry gc', async () => (await import('./registry.ts')).registryGc), entry('registry serve', async () => (await import('./registry.ts')).registryServe)],
    },
    {
      name: 'network',
      description: 'Manage networks',
      commands: [
        entry('network connect', async () => (await import('./network.ts')).networkConnect), entry('network create', async () => (await import('./network.ts')).networkCreate), entry('network disconnect', async () => (await import('./network.ts')).networkDisconnect), entry('network inspect', async () => (await import('./inspect.ts')).networkInspect), as(entry('network ls', async () => (await import('./network.ts')).networkLs), 'network ls', ['list']),
        entry('network prune', async () => (await import('./network.ts')).networkPrune), as(entry('network rm', async () => (await import('./network.ts')).networkRm), 'network rm', ['remove']),
      ],
    },
    {
      name: 'volume',
      description: 'Manage volumes',
      commands: [entry('volume create', async () => (await import('./volume.ts')).volumeCreate), entry('volume inspect', async () => (await import('./inspect.ts')).volumeInspect), as(entry('volume ls', async () => (await import('./volume.ts')).volumeLs), 'volume ls', ['list']), entry('volume prune', async () => (await import('./volume.ts')).volumePrune), as(entry('volume rm', async () => (await import('./volume.ts')).volumeRm), 'volume rm', ['remove'])],
    },
    {
      name: 'system',
      description: 'Manage berth',
      commands: [entry('system df', async () => (await import('./system-df.ts')).systemDf), as(top('events'), 'system events'), as(top('info'), 'system info'), entry('system prune', async () => (await import('./system-prune.ts')).systemPrune)],
    },
  ];
}

let described: Record<string, string> | undefined;

function describe(name: string): string {
  described ??= descriptions();
  return described[name];
}

function descriptions(): Record<string, string> {
  return {
    run: 'Create and run a new container from an image',
    create: 'Create a new container',
    start: 'Start one or more stopped containers',
    stop: 'Stop one or more running containers',
    kill: 'Kill one or more running containers',
    restart: 'Restart one or more containers',
    rm: 'Remove one or more containers',
    wait: 'Block until one or more containers stop, then print their exit codes',
    ps: 'List containers',
    logs: 'Fetch the logs of a container',
    inspect: 'Return low-level information on berth objects',
    export: "Export a container's filesystem as a tar archive",
    images: 'List images',
    rmi: 'Remove one or more images',
    tag: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    import: 'Import the contents from a tarball to create a filesystem image',
    save: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    load: 'Load an image from a tar archive or STDIN',
    'container prune': 'Remove all stopped containers',
    'system df': 'Show berth disk usage',
    'system prune': 'Remove unused data',
    'image prune': 'Remove unused images',
    history: 'Show the history of an image',
    version: 'Show the berth version information',
    info: 'Display system-wide information',
    'container inspect': 'Display detailed information on one or more containers',
    commit: "Create a new image from a container's changes",
    diff: "Inspect changes to files or directories on a container's filesystem",
    pull: 'Download an image from a registry',
    push: 'Upload an image to a registry',
    build: 'Build an image from a Dockerfile',
    'builder prune': 'Remove build cache',
    login: 'Authenticate to a registry',
    logout: 'Log out from a registry',
    search: 'Search Docker Hub for images',
    'registry serve': 'Run a registry server (OCI Distribution / Docker Registry v2)',
    'registry gc': "Remove blobs no manifest references from a registry's storage (safe while it serves)",
    'network create': 'Create a network',
    'network connect': 'Connect a container to a network',
    'network disconnect': 'Disconnect a container from a network',
    'network inspect': 'Display detailed information on one or more networks',
    'network ls': 'List networks',
    'network prune': 'Remove all unused networks',
    'network rm': 'Remove one or more networks',
    port: 'List port mappings or a specific mapping for the container',
    'volume create': 'Create a volume',
    'volume inspect': 'Display detailed information on one or more volumes',
    'volume ls': 'List volumes',
    'volume prune': 'Remove unused local volumes',
    'volume rm': 'Remove one or more volumes',
    pause: 'Pause all processes within one or more containers',
    unpause: 'Unpause all processes within one or more containers',
    rename: 'Rename a container',
    top: 'Display the running processes of a container',
    update: 'Update configuration of one or more containers',
    exec: 'Execute a command in a running container',
    attach: 'Attach local standard input, output, and error streams to a running container',
    cp: 'Copy files/folders between a container and the local filesystem',
    stats: "Display a live stream of container(s) resource usage statistics",
    events: 'Get real time events from the server',
    'image inspect': 'Display detailed information on one or more images',
  };
}

/** The command's definition under the entry's name, aliases and description. */
export async function loadCommand(e: CommandEntry): Promise<CommandDef> {
  const def = await e.load();
  return { ...def, name: e.name, aliases: e.aliases ?? def.aliases, get description() { return e.description; } };
}
