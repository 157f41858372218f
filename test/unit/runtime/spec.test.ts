import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContainerConfig, HostConfig } from '../../../src/core/container.ts';
import { isCode } from '../../../src/core/errors.ts';
import { buildSpec, type SpecInput } from '../../../src/runtime/spec.ts';
import { buildEnv, mergeEnv, resolveArgs, DEFAULT_PATH } from '../../../src/runtime/process.ts';
import { DEFAULT_CAPABILITIES, resolveCapabilities } from '../../../src/runtime/capabilities.ts';
import { clampRlimits, parseProcLimits } from '../../../src/runtime/rlimits.ts';
import { parseBind, mergeMounts, defaultMounts } from '../../../src/runtime/mounts.ts';
import { parseSecurityOpts } from '../../../src/runtime/security.ts';
import { parseSignal } from '../../../src/runtime/signals.ts';
import { cgroupsPathFor } from '../../../src/runtime/cgroups.ts';

const ALL_HOST = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
  'CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_SYS_PTRACE'];

function config(over: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    hostname: '', domainname: '', user: '', attachStdin: false, attachStdout: true, attachStderr: true, tty: false,
    openStdin: false, stdinOnce: false, env: [], cmd: null, entrypoint: null, image: 'x', workingDir: '', labels: {}, ...over,
  };
}

function hostConfig(over: Partial<HostConfig> = {}): HostConfig {
  return {
    autoRemove: false, networkMode: 'none', runtime: 'runc', restartPolicy: { name: '', maximumRetryCount: 0 },
    privileged: false, readonlyRootfs: false, capAdd: [], capDrop: [], extraHosts: [], dns: [], dnsSearch: [],
    dnsOptions: [], binds: [], shmSize: 0, memory: 0, nanoCpus: 0, cpuShares: 0, pidsLimit: 0, init: false,
    securityOpt: [], ...over,
  };
}

function fakeRootfs(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-spec-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'etc'));
  fs.writeFileSync(path.join(dir, 'etc/passwd'), [
    'root:x:0:0:root:/root:/bin/sh',
    'app:x:1000:1001:app:/home/app:/bin/sh',
    '# comment',
    'svc:x:999:999::/srv:/bin/false',
  ].join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\nappgrp:x:1001:\nwheel:x:10:app,svc\naudio:x:29:app\nsvc:x:999:\n');
  return dir;
}

function input(rootfs: string, over: Partial<SpecInput> = {}): SpecInput {
  return {
    id: 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789',
    image: { Env: ['PATH=/img/bin', 'IMG=1'] },
    config: config(), hostConfig: hostConfig(), rootfs, process: { path: 'sh', args: ['-c', 'true'] },
    cgroupsPath: '/berth/abc', network: 'none',
    host: {
      capabilities: ALL_HOST, limits: { RLIMIT_NOFILE: { soft: 1024, hard: 20000 } },
      cgroups: { version: '1', hybrid: true, unifiedMount: '/sys/fs/cgroup/unified', swapAccounting: true },
      arch: 'x64', kernel: '6.1.0', hostname: 'the-host',
    },
    ...over,
  };
}

test('resolveArgs follows Docker: user entrypoint drops image cmd', () => {
  const image = { Entrypoint: ['/entry.sh'], Cmd: ['serve'] };
  assert.deepEqual(resolveArgs(image, { entrypoint: null, cmd: null }), { path: '/entry.sh', args: ['serve'] });
  assert.deepEqual(resolveArgs(image, { entrypoint: null, cmd: ['x', 'y'] }), { path: '/entry.sh', args: ['x', 'y'] });
  assert.deepEqual(resolveArgs(image, { entrypoint: ['sh'], cmd: null }), { path: 'sh', args: [] });
  assert.deepEqual(resolveArgs(image, { entrypoint: ['sh'], cmd: ['-c', 'id'] }), { path: 'sh', args: ['-c', 'id'] });
  // --entrypoint "" : no entrypoint at all, image cmd kept
  assert.deepEqual(resolveArgs(image, { entrypoint: [], cmd: null }), { path: 'serve', args: [] });
  assert.deepEqual(resolveArgs({ Cmd: ['sh'] }, { entrypoint: null, cmd: [] }), { path: 'sh', args: [] });
});

test('resolveArgs with nothing to run is Docker\'s invalid "No command specified"', () => {
  assert.throws(() => resolveArgs({}, { entrypoint: null, cmd: null }), (e) => isCode(e, 'invalid_argument') && /No command specified/.test((e as Error).message));
  assert.throws(() => resolveArgs({ Entrypoint: ['/e'] }, { entrypoint: [], cmd: null }), /No command specified/);
});

test('env: defaults, image env under user env, TERM with tty, removal by bare key', () => {
  assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4']), ['B=3', 'C=4', 'A=1']);
  assert.deepEqual(buildEnv({ imageEnv: ['A=1'], userEnv: [], hostname: 'h', tty: false }), [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=h', 'A=1']);
  const env = buildEnv({ imageEnv: ['PATH=/img', 'A=1', 'GONE=x'], userEnv: ['A=user', 'GONE'], hostname: 'h', tty: true });
  assert.deepEqual(env, ['PATH=/img', 'HOSTNAME=h', 'TERM=xterm', 'A=user']);
  assert.deepEqual(buildEnv({ userEnv: ['HOSTNAME=mine'], hostname: 'h', tty: false }), [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=mine']);
});

test('users: names, numbers, groups and supplementary groups from the rootfs', (t) => {
  const rootfs = fakeRootfs(t);
  const user = (u: string) => buildSpec(input(rootfs, { config: config({ user: u }) })).process.user;
  assert.deepEqual(user(''), { uid: 0, gid: 0, additionalGids: [0] });
  assert.deepEqual(user('app'), { uid: 1000, gid: 1001, additionalGids: [1001, 10, 29] });
  assert.deepEqual(user('1000'), { uid: 1000, gid: 1001, additionalGids: [1001, 10, 29] });
  assert.deepEqual(user('4242'), { uid: 4242, gid: 0, additionalGids: [0] });
  assert.deepEqual(user('app:wheel'), { uid: 1000, gid: 10, additionalGids: [10] });
  assert.deepEqual(user('4242:777'), { uid: 4242, gid: 777, additionalGids: [777] });
  assert.deepEqual(user('svc'), { uid: 999, gid: 999, additionalGids: [999, 10] });
  assert.throws(() => user('nobody2'), (e) => isCode(e, 'invalid_argument') && (e as Error).message === 'unable to find user nobody2: no matching entries in passwd file');
  assert.throws(() => user('app:nogroup'), /unable to find group nogroup: no matching entries in group file/);
  // the image's USER applies when the container sets none
  const fromImage = buildSpec(input(rootfs, { image: { User: 'app' } })).process.user;
  assert.equal(fromImage.uid, 1000);
});

test('users: /etc/passwd symlinked out of the rootfs is read inside it', (t) => {
  const rootfs = fakeRootfs(t);
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-outside-'));
  t.after(() => fs.rmSync(outside, { recursive: true, force: true }));
  fs.writeFileSync(path.join(outside, 'passwd'), 'evil:x:0:0::/:/bin/sh\n');
  fs.rmSync(path.join(rootfs, 'etc/passwd'));
  // absolute and ../ escapes both resolve inside the rootfs
  fs.symlinkSync(path.join(outside, 'passwd'), path.join(rootfs, 'etc/passwd'));
  assert.throws(() => buildSpec(input(rootfs, { config: config({ user: 'evil' }) })), /unable to find user evil/);
  fs.rmSync(path.join(rootfs, 'etc/passwd'));
  fs.symlinkSync('../../../../../../..' + path.join(outside, 'passwd'), path.join(rootfs, 'etc/passwd'));
  assert.throws(() => buildSpec(input(rootfs, { config: config({ user: 'evil' }) })), /unable to find user evil/);
  // a link that stays inside works
  fs.mkdirSync(path.join(rootfs, 'data'));
  fs.writeFileSync(path.join(rootfs, 'data/passwd'), 'inside:x:7:7::/:/bin/sh\n');
  fs.rmSync(path.join(rootfs, 'etc/passwd'));
  fs.symlinkSync('/data/passwd', path.join(rootfs, 'etc/passwd'));
  assert.equal(buildSpec(input(rootfs, { config: config({ user: 'inside' }) })).process.user.uid, 7);
});

test('capabilities: defaults, add/drop with any spelling, ALL, privileged', () => {
  const caps = (o: Parameters<typeof resolveCapabilities>[0]) => resolveCapabilities({ available: ALL_HOST, ...o });
  assert.deepEqual(caps({}), [...DEFAULT_CAPABILITIES]);
  const c1 = caps({ capAdd: ['net_admin', 'CAP_SYS_PTRACE'], capDrop: ['Chown', 'cap_kill'] });
  assert.ok(c1.includes('CAP_NET_ADMIN') && c1.includes('CAP_SYS_PTRACE'));
  assert.ok(!c1.includes('CAP_CHOWN') && !c1.includes('CAP_KILL'));
  assert.deepEqual(caps({ capDrop: ['all'], capAdd: ['net_bind_service'] }), ['CAP_NET_BIND_SERVICE']);
  assert.deepEqual(caps({ capAdd: ['ALL'], capDrop: ['sys_admin'] }), ALL_HOST.filter((c) => c !== 'CAP_SYS_ADMIN'));
  assert.deepEqual(caps({ privileged: true, capDrop: ['ALL'] }), ALL_HOST);
  assert.throws(() => caps({ capAdd: ['FOO'] }), (e) => isCode(e, 'invalid_argument') && /unknown capability: "CAP_FOO"/.test((e as Error).message));
});

test('rlimits: NOFILE 1048576 clamped to the host hard limit', () => {
  const host = parseProcLimits([
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max open files            20000                20000                files     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
  ].join('\n'));
  assert.deepEqual(host.RLIMIT_NOFILE, { soft: 20000, hard: 20000 });
  assert.equal(host.RLIMIT_CPU?.hard, Infinity);
  assert.deepEqual(clampRlimits([{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }], host), [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
  assert.deepEqual(clampRlimits([{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }], {}), [{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }]);
  assert.deepEqual(clampRlimits([{ type: 'RLIMIT_NPROC', soft: 50, hard: 100 }], { RLIMIT_NPROC: { soft: 1, hard: 80 } }), [{ type: 'RLIMIT_NPROC', soft: 50, hard: 80 }]);
});

test('spec: the defaults Docker gives a container', (t) => {
  const rootfs = fakeRootfs(t);
  const spec = buildSpec(input(rootfs, { hostsPath: '/x/hosts', hostnamePath: '/x/hostname', resolvConfPath: '/x/resolv.conf' }));
  assert.equal(spec.hostname, 'abcdef012345');
  assert.equal(spec.process.cwd, '/');
  assert.equal(spec.process.terminal, false);
  assert.equal(spec.process.noNewPrivileges, false);
  assert.equal(spec.process.oomScoreAdj, 0);
  assert.deepEqual(spec.process.args, ['sh', '-c', 'true']);
  assert.deepEqual(spec.process.env, ['PATH=/img/bin', 'HOSTNAME=abcdef012345', 'IMG=1']);
  assert.deepEqual(spec.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
  assert.deepEqual(spec.process.capabilities.bounding, [...DEFAULT_CAPABILITIES]);
  assert.equal(spec.root.path, rootfs);
  assert.equal(spec.root.readonly, false);
  const dests = spec.mounts.map((m) => m.destination);
  assert.deepEqual(dests, ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts']);
  assert.ok(spec.mounts.find((m) => m.destination === '/sys')!.options!.includes('ro'));
  assert.ok(spec.mounts.find((m) => m.destination === '/dev/shm')!.options!.includes(`size=${64 * 1024 * 1024}`));
  assert.deepEqual(spec.linux.namespaces.map((n: { type: string }) => n.type), ['mount', 'network', 'uts', 'pid', 'ipc']);
  assert.ok(!spec.linux.namespaces.some((n: { type: string }) => n.type === 'user'));
  assert.equal(spec.linux.cgroupsPath, '/berth/abc');
  assert.ok(spec.linux.maskedPaths.includes('/proc/kcore'));
  assert.ok(spec.linux.readonlyPaths.includes('/proc/sys'));
  assert.deepEqual(spec.linux.resources.devices[0], { allow: false, access: 'rwm' });
  assert.ok(spec.linux.resources.devices.some((d: { major?: number; minor?: number; allow: boolean }) => d.major === 1 && d.minor === 3 && d.allow));
  assert.equal(spec.linux.seccomp.defaultAction, 'SCMP_ACT_ERRNO');
  assert.deepEqual(spec.linux.seccomp.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.equal(spec.linux.sysctl['net.ipv4.ip_unprivileged_port_start'], '0');
});

test('spec: tty, hostname, cwd, shm, resources, readonly rootfs, network modes', (t) => {
  const rootfs = fakeRootfs(t);
  const spec = buildSpec(input(rootfs, {
    config: config({ tty: true, hostname: 'web', domainname: 'example.org', workingDir: '/srv' }),
    hostConfig: hostConfig({ shmSize: 1 << 20, memory: 64 << 20, nanoCpus: 5e8, cpuShares: 512, pidsLimit: 50, readonlyRootfs: true }),
    network: 'host',
  }));
  assert.equal(spec.process.terminal, true);
  assert.ok(spec.process.env.includes('TERM=xterm'));
  assert.ok(spec.process.env.includes('HOSTNAME=web'));
  assert.equal(spec.hostname, 'web');
  assert.equal(spec.domainname, 'example.org');
  assert.equal(spec.process.cwd, '/srv');
  assert.equal(spec.root.readonly, true);
  assert.ok(spec.mounts.find((m) => m.destination === '/dev/shm')!.options!.includes('size=1048576'));
  assert.deepEqual(spec.linux.resources.memory, { limit: 64 << 20, swap: 128 << 20 });
  assert.deepEqual(spec.linux.resources.cpu, { shares: 512, quota: 50000, period: 100000 });
  assert.deepEqual(spec.linux.resources.pids, { limit: 50 });
  assert.ok(!spec.linux.namespaces.some((n: { type: string }) => n.type === 'network'));
  assert.equal(spec.linux.sysctl, undefined);
  // host network: the host's hostname unless one is set
  assert.equal(buildSpec(input(rootfs, { network: 'host' })).hostname, 'the-host');
  const joined = buildSpec(input(rootfs, { network: { path: '/run/netns/x' } }));
  assert.deepEqual(joined.linux.namespaces.find((n: { type: string }) => n.type === 'network'), { type: 'network', path: '/run/netns/x' });
  assert.throws(() => buildSpec(input(rootfs, { config: config({ workingDir: 'rel' }) })), /needs to be an absolute path/);
  assert.throws(() => buildSpec(input(rootfs, { network: 'bridge' as 'none' })), (e) => isCode(e, 'invalid_argument') && /bridge/.test((e as Error).message));
});

test('spec: privileged drops seccomp and masks, opens devices; security opts', (t) => {
  const rootfs = fakeRootfs(t);
  const p = buildSpec(input(rootfs, { hostConfig: hostConfig({ privileged: true }) }));
  assert.equal(p.linux.seccomp, undefined);
  assert.equal(p.linux.maskedPaths, undefined);
  assert.deepEqual(p.process.capabilities.bounding, ALL_HOST);
  assert.deepEqual(p.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  assert.ok(Array.isArray(p.linux.devices) && p.linux.devices.some((d: { path: string }) => d.path === '/dev/null'));
  assert.ok(!p.mounts.find((m) => m.destination === '/sys')!.options!.includes('ro'));

  const u = buildSpec(input(rootfs, { hostConfig: hostConfig({ securityOpt: ['seccomp=unconfined', 'no-new-privileges'] }) }));
  assert.equal(u.linux.seccomp, undefined);
  assert.equal(u.process.noNewPrivileges, true);
  const custom = buildSpec(input(rootfs, { hostConfig: hostConfig({ securityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}'] }) }));
  assert.equal(custom.linux.seccomp.defaultAction, 'SCMP_ACT_ALLOW');
  assert.equal(parseSecurityOpts(['no-new-privileges:false']).noNewPrivileges, false);
  assert.throws(() => parseSecurityOpts(['bogus=1']), /Invalid --security-opt: "bogus=1"/);
});

test('binds: parsing, validation naming the bad bind, ordering and overrides', (t) => {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bind-'));
  t.after(() => fs.rmSync(src, { recursive: true, force: true }));
  assert.deepEqual(parseBind(`${src}:/data`), { destination: '/data', type: 'bind', source: src, options: ['rbind', 'rprivate'] });
  assert.deepEqual(parseBind(`${src}:/data:ro,rshared`).options, ['rbind', 'rshared', 'ro']);
  assert.throws(() => parseBind('relative:/data'), (e) => isCode(e, 'invalid_argument') && /relative:\/data/.test((e as Error).message));
  assert.throws(() => parseBind(`${src}:data`), /mount path must be absolute/);
  assert.throws(() => parseBind('/no/such/dir/here:/data'), /bind source path does not exist: \/no\/such\/dir\/here/);
  assert.throws(() => parseBind(`${src}:/data:bogus`), /invalid mode: bogus/);
  assert.throws(() => parseBind(`${src}`), /invalid volume specification/);
  const merged = mergeMounts(defaultMounts({}), [parseBind(`${src}:/a/b/c`), parseBind(`${src}:/a`), parseBind(`${src}:/dev/shm`)]);
  const dests = merged.map((m) => m.destination);
  assert.ok(dests.indexOf('/a') < dests.indexOf('/a/b/c'));
  assert.equal(merged.filter((m) => m.destination === '/dev/shm').length, 1);
  assert.equal(merged.find((m) => m.destination === '/dev/shm')!.type, 'bind');
  assert.throws(() => mergeMounts([], [parseBind(`${src}:/x`), parseBind(`${src}:/x`)]), /Duplicate mount point: \/x/);
});

test('signals and cgroup paths', () => {
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('term'), 15);
  assert.equal(parseSignal('KILL'), 9);
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal(2), 2);
  assert.equal(parseSignal('SIGRTMIN+3'), 37);
  assert.throws(() => parseSignal('SIGBOGUS'), (e) => isCode(e, 'invalid_argument') && /SIGBOGUS/.test((e as Error).message));
  assert.throws(() => parseSignal('0'), /Invalid signal: 0/);
  assert.throws(() => parseSignal('99'), /^BerthError: The linux daemon does not support signal 99$/);
  assert.equal(cgroupsPathFor('abc'), '/berth/abc');
  assert.equal(cgroupsPathFor('abc', 'custom/parent'), '/custom/parent/abc');
});

test('spec: --init runs the host\'s init as pid 1 in front of the command', (t) => {
  const rootfs = fakeRootfs(t);
  const spec = buildSpec(input(rootfs, { hostConfig: hostConfig({ init: true }), initPath: '/opt/tini' }));
  assert.deepEqual(spec.process.args, ['/sbin/docker-init', '--', 'sh', '-c', 'true']);
  assert.deepEqual(spec.mounts.find((m) => m.destination === '/sbin/docker-init'), { destination: '/sbin/docker-init', type: 'bind', source: '/opt/tini', options: ['bind', 'ro'] });
});

test('--userns-remap: a user namespace with the mappings; joined when it owns the network namespace; a foreign one gets /sys bound and net sysctls from a host hook', (t) => {
  const rootfs = fakeRootfs(t);
  const maps = { uids: [{ containerId: 0, hostId: 100000, size: 65536 }], gids: [{ containerId: 0, hostId: 200000, size: 65536 }] };
  const none = buildSpec(input(rootfs, { userns: maps }));
  assert.ok(none.linux.namespaces.some((n: { type: string }) => n.type === 'user'));
  assert.deepEqual(none.linux.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
  assert.deepEqual(none.linux.gidMappings, [{ containerID: 0, hostID: 200000, size: 65536 }]);
  assert.equal(none.linux.sysctl['net.ipv4.ping_group_range'], '0 65535');
  assert.equal(none.mounts.find((m) => m.destination === '/sys')?.type, 'sysfs');
  assert.equal(none.hooks, undefined);

  const cni = buildSpec(input(rootfs, { userns: maps, network: { path: '/run/netns/x' }, hostConfig: hostConfig({ resources: { sysctls: { 'net.core.somaxconn': "1024'x" } } }) }));
  assert.deepEqual(cni.mounts.find((m) => m.destination === '/sys'), { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
  assert.deepEqual(Object.keys(cni.linux.sysctl ?? {}).filter((k) => k.startsWith('net.')), []);
  const hook = cni.hooks!.createRuntime![0]!;
  assert.deepEqual(hook.args!.slice(0, 5), ['nsenter', '--net=/run/netns/x', '--', '/bin/sh', '-ec']);
  assert.match(hook.args![5]!, /printf '%s\\n' '1024'\\''x' > \/proc\/sys\/net\/core\/somaxconn/);
  assert.match(hook.args![5]!, /'0' > \/proc\/sys\/net\/ipv4\/ip_unprivileged_port_start/);

  // berth's namespace made inside the container's user namespace: both joined by path, the runtime does the rest.
  const owned = buildSpec(input(rootfs, {
    userns: maps, network: { path: '/run/netns/x' }, join: { user: '/run/netns/x.user' },
    hostConfig: hostConfig({ resources: { sysctls: { 'net.core.somaxconn': '1024' } } }),
  }));
  assert.deepEqual(owned.linux.namespaces.filter((n: { type: string }) => n.type === 'user' || n.type === 'network'), [
    { type: 'network', path: '/run/netns/x' }, { type: 'user', path: '/run/netns/x.user' },
  ]);
  assert.deepEqual(owned.linux.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
  assert.equal(owned.mounts.find((m) => m.destination === '/sys')?.type, 'sysfs');
  assert.equal(owned.linux.sysctl['net.core.somaxconn'], '1024');
  assert.equal(owned.linux.sysctl['net.ipv4.ping_group_range'], '0 65535');
  assert.equal(owned.hooks, undefined);

  const plain = buildSpec(input(rootfs));
  assert.ok(!plain.linux.namespaces.some((n: { type: string }) => n.type === 'user'));
  assert.equal(plain.linux.uidMappings, undefined);
});
