// The flags `run` and `create` share (docker's addFlags), with docker's
// names, shorthands, defaults and per-value validation.

import type { FlagSpec } from '../flags.ts';
import { nanoCpus, ramInBytes } from './units.ts';
import { parseMountFlag } from './mount.ts';
import { validateDuration } from './health.ts';

function validateAttach(v: string): string {
  const s = v.toLowerCase();
  if (s === 'stdin' || s === 'stdout' || s === 'stderr') return s;
  throw new Error('valid streams are STDIN, STDOUT and STDERR');
}

function validateLabel(v: string): string {
  const key = v.split('=')[0].replace(/^[ \t]+/, '');
  if (key === '') throw new Error(`invalid label '${v}': empty name`);
  if (/[ \t]/.test(key)) throw new Error(`label '${key}' contains whitespaces`);
  return v;
}

function validateEnvKey(v: string): string {
  if (v.split('=')[0] === '') throw new Error(`invalid environment variable: ${v}`);
  return v;
}

function validateExtraHost(v: string): string {
  const m = /^([^:=]+)[:=](.+)$/.exec(v);
  if (!m) throw new Error(`bad format for add-host: ${JSON.stringify(v)}`);
  return `${m[1]}:${m[2].replace(/^\[|\]$/g, '')}`;
}

function validateBytes(v: string): string {
  ramInBytes(v);
  return v;
}

function validateCpus(v: string): string {
  nanoCpus(v);
  return v;
}

export const containerFlags: FlagSpec[] = [
  { name: 'attach', short: 'a', type: 'list', usage: 'Attach to STDIN, STDOUT or STDERR', validate: validateAttach },
  { name: 'env', short: 'e', type: 'list', usage: 'Set environment variables', validate: validateEnvKey },
  { name: 'env-file', type: 'list', usage: 'Read in a file of environment variables' },
  { name: 'entrypoint', type: 'string', usage: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'group-add', type: 'list', usage: 'Add additional groups to join' },
  { name: 'hostname', short: 'h', type: 'string', usage: 'Container host name' },
  { name: 'domainname', type: 'string', usage: 'Container NIS domain name' },
  { name: 'interactive', short: 'i', type: 'bool', usage: 'Keep STDIN open even if not attached' },
  { name: 'label', short: 'l', type: 'list', usage: 'Set meta data on a container', validate: validateLabel },
  { name: 'label-file', type: 'list', usage: 'Read in a line delimited file of labels' },
  { name: 'read-only', type: 'bool', usage: "Mount the container's root filesystem as read only" },
  { name: 'restart', type: 'string', default: 'no', usage: 'Restart policy to apply when a container exits' },
  { name: 'stop-signal', type: 'string', usage: 'Signal to stop the container' },
  { name: 'stop-timeout', type: 'int', usage: 'Timeout (in seconds) to stop a container' },
  { name: 'sysctl', type: 'list', usage: 'Sysctl options' },
  { name: 'tty', short: 't', type: 'bool', usage: 'Allocate a pseudo-TTY' },
  { name: 'user', short: 'u', type: 'string', usage: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'workdir', short: 'w', type: 'string', usage: 'Working directory inside the container' },
  { name: 'rm', type: 'bool', usage: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { name: 'cap-add', type: 'list', usage: 'Add Linux capabilities' },
  { name: 'cap-drop', type: 'list', usage: 'Drop Linux capabilities' },
  { name: 'privileged', type: 'bool', usage: 'Give extended privileges to this container' },
  { name: 'security-opt', type: 'list', usage: 'Security Options' },
  { name: 'add-host', type: 'list', usage: 'Add a custom host-to-IP mapping (host:ip)', validate: validateExtraHost },
  { name: 'dns', type: 'list', usage: 'Set custom DNS servers' },
  { name: 'dns-option', type: 'list', usage: 'Set DNS options' },
  { name: 'dns-opt', type: 'list', usage: 'Set DNS options', hidden: true },
  { name: 'dns-search', type: 'list', usage: 'Set custom DNS search domains' },
  { name: 'expose', type: 'list', usage: 'Expose a port or a range of ports' },
  { name: 'publish', short: 'p', type: 'list', usage: "Publish a container's port(s) to the host" },
  { name: 'publish-all', short: 'P', type: 'bool', usage: 'Publish all exposed ports to random ports' },
  { name: 'network', type: 'string', usage: 'Connect a container to a network' },
  { name: 'net', type: 'string', usage: 'Connect a container to a network', hidden: true },
  { name: 'network-alias', type: 'list', usage: 'Add network-scoped alias for the container' },
  { name: 'net-alias', type: 'list', usage: 'Add network-scoped alias for the container', hidden: true },
  { name: 'ip', type: 'string', usage: 'IPv4 address (e.g., 172.30.100.104)' },
  { name: 'ip6', type: 'string', usage: 'IPv6 address (e.g., 2001:db8::33)' },
  { name: 'mac-address', type: 'string', usage: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)' },
  { name: 'link', type: 'list', usage: 'Add link to another container' },
  { name: 'log-driver', type: 'string', usage: 'Logging driver for the container' },
  { name: 'log-opt', type: 'list', usage: 'Log driver options' },
  { name: 'tmpfs', type: 'list', usage: 'Mount a tmpfs directory' },
  { name: 'volumes-from', type: 'list', usage: 'Mount volumes from the specified container(s)' },
  { name: 'volume', short: 'v', type: 'list', usage: 'Bind mount a volume' },
  { name: 'mount', type: 'list', usage: 'Attach a filesystem mount to the container', validate: (v) => { parseMountFlag(v); return v; } },
  { name: 'cidfile', type: 'string', usage: 'Write the container ID to the file' },
  { name: 'cpuset-cpus', type: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpu-period', type: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', type: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpu-shares', short: 'c', type: 'int', usage: 'CPU shares (relative weight)' },
  { name: 'cpus', type: 'decimal', usage: 'Number of CPUs', validate: validateCpus },
  { name: 'memory', short: 'm', type: 'bytes', usage: 'Memory limit', validate: validateBytes },
  { name: 'memory-reservation', type: 'bytes', usage: 'Memory soft limit', validate: validateBytes },
  { name: 'memory-swap', type: 'bytes', usage: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", validate: (v) => (v === '-1' ? v : validateBytes(v)) },
  { name: 'memory-swappiness', type: 'int', default: -1, usage: 'Tune container memory swappiness (0 to 100)' },
  { name: 'kernel-memory', type: 'bytes', usage: 'Kernel memory limit', validate: validateBytes },
  { name: 'oom-kill-disable', type: 'bool', usage: 'Disable OOM Killer' },
  { name: 'oom-score-adj', type: 'int', usage: "Tune host's OOM preferences (-1000 to 1000)" },
  { name: 'cpuset-mems', type: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
  { name: 'blkio-weight', type: 'int', usage: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)' },
  { name: 'blkio-weight-device', type: 'list', usage: 'Block IO weight (relative device weight)' },
  { name: 'device-read-bps', type: 'list', usage: 'Limit read rate (bytes per second) from a device' },
  { name: 'device-write-bps', type: 'list', usage: 'Limit write rate (bytes per second) to a device' },
  { name: 'device-read-iops', type: 'list', usage: 'Limit read rate (IO per second) from a device' },
  { name: 'device-write-iops', type: 'list', usage: 'Limit write rate (IO per second) to a device' },
  { name: 'device', type: 'list', usage: 'Add a host device to the container' },
  { name: 'device-cgroup-rule', type: 'list', usage: 'Add a rule to the cgroup allowed devices list' },
  { name: 'ulimit', type: 'list', usage: 'Ulimit options' },
  { name: 'cgroupns', type: 'string', usage: 'Cgroup namespace to use (host|private)' },
  { name: 'userns', type: 'string', usage: 'User namespace to use' },
  { name: 'isolation', type: 'string', usage: 'Container isolation technology' },
  { name: 'pids-limit', type: 'int', usage: 'Tune container pids limit (set -1 for unlimited)' },
  { name: 'ipc', type: 'string', usage: 'IPC mode to use' },
  { name: 'pid', type: 'string', usage: 'PID namespace to use' },
  { name: 'uts', type: 'string', usage: 'UTS namespace to use' },
  { name: 'shm-size', type: 'bytes', usage: 'Size of /dev/shm', validate: validateBytes },
  { name: 'runtime', type: 'string', usage: 'Runtime to use for this container' },
  { name: 'health-cmd', type: 'string', usage: 'Command to run to check health' },
  { name: 'health-interval', type: 'duration', usage: 'Time between running the check (ms|s|m|h) (default 0s)', validate: validateDuration },
  { name: 'health-retries', type: 'int', usage: 'Consecutive failures needed to report unhealthy' },
  { name: 'health-timeout', type: 'duration', usage: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)', validate: validateDuration },
  { name: 'health-start-period', type: 'duration', usage: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)', validate: validateDuration },
  { name: 'health-start-interval', type: 'duration', usage: 'Time between running the check during the start period (ms|s|m|h) (default 0s)', validate: validateDuration },
  { name: 'no-healthcheck', type: 'bool', usage: 'Disable any container-specified HEALTHCHECK' },
  { name: 'init', type: 'bool', usage: 'Run an init inside the container that forwards signals and reaps processes' },
  { name: 'name', type: 'string', usage: 'Assign a name to the container' },
  { name: 'pull', type: 'string', default: 'missing', usage: 'Pull image before creating ("always", "missing", "never")' },
  { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress the pull output' },
  { name: 'platform', type: 'string', usage: 'Set platform if server is multi-platform capable' },
];

/** The flags only `run` has. */
export const runOnlyFlags: FlagSpec[] = [
  { name: 'detach', short: 'd', type: 'bool', usage: 'Run container in background and print container ID' },
  { name: 'sig-proxy', type: 'bool', default: true, usage: 'Proxy received signals to the process' },
  { name: 'detach-keys', type: 'string', usage: 'Override the key sequence for detaching a container' },
];
