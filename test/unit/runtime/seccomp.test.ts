import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { compareKernel, loadSeccompProfile, parseSeccompProfile, seccompForContainer } from '../../../src/runtime/seccomp.ts';
import { DEFAULT_CAPABILITIES } from '../../../src/runtime/capabilities.ts';

const profile = parseSeccompProfile(JSON.stringify({
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 38,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [], includes: {}, excludes: {} },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
    { names: ['arm_only'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm', 'arm64'] } },
    { names: ['not_on_amd64'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['amd64'] } },
    { names: ['bpf', 'mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['bpf', 'mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['both_caps'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] } },
    { name: 'old_style', action: 'SCMP_ACT_ALLOW' },
    { names: ['new_kernel'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '6.5' } },
  ],
}));

const names = (s: ReturnType<typeof seccompForContainer>) => s.syscalls.flatMap((r) => r.names.map((n) => `${n}:${r.action}`));

test('seccomp: the native arch entry of archMap with its sub-architectures', () => {
  assert.deepEqual(seccompForContainer(profile, { caps: [], arch: 'x64', kernel: '6.1' }).architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(seccompForContainer(profile, { caps: [], arch: 'arm64', kernel: '6.1' }).architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
});

test('seccomp: rules picked by capabilities', () => {
  const plain = names(seccompForContainer(profile, { caps: DEFAULT_CAPABILITIES, arch: 'x64', kernel: '6.1' }));
  assert.ok(plain.includes('bpf:SCMP_ACT_ERRNO') && plain.includes('mount:SCMP_ACT_ERRNO'));
  assert.ok(!plain.includes('bpf:SCMP_ACT_ALLOW'));
  assert.ok(!plain.includes('both_caps:SCMP_ACT_ALLOW'));

  const admin = names(seccompForContainer(profile, { caps: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], arch: 'x64', kernel: '6.1' }));
  assert.ok(admin.includes('bpf:SCMP_ACT_ALLOW'));
  assert.ok(!admin.includes('bpf:SCMP_ACT_ERRNO'));
  assert.ok(!admin.includes('both_caps:SCMP_ACT_ALLOW'), 'includes.caps needs all of them');
  const both = names(seccompForContainer(profile, { caps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'], arch: 'x64', kernel: '6.1' }));
  assert.ok(both.includes('both_caps:SCMP_ACT_ALLOW'));
});

test('seccomp: rules picked by arch and kernel; fields kept as OCI wants them', () => {
  const s = seccompForContainer(profile, { caps: [], arch: 'x64', kernel: '6.1.0-18-amd64' });
  const n = names(s);
  assert.ok(n.includes('arch_prctl:SCMP_ACT_ALLOW'));
  assert.ok(!n.includes('arm_only:SCMP_ACT_ALLOW'));
  assert.ok(!n.includes('not_on_amd64:SCMP_ACT_ALLOW'));
  assert.ok(n.includes('old_style:SCMP_ACT_ALLOW'));
  assert.ok(!n.includes('new_kernel:SCMP_ACT_ALLOW'));
  assert.ok(names(seccompForContainer(profile, { caps: [], arch: 'x64', kernel: '6.10.2' })).includes('new_kernel:SCMP_ACT_ALLOW'));
  const arm = names(seccompForContainer(profile, { caps: [], arch: 'arm64', kernel: '6.1' }));
  assert.ok(arm.includes('arm_only:SCMP_ACT_ALLOW') && arm.includes('not_on_amd64:SCMP_ACT_ALLOW') && !arm.includes('arch_prctl:SCMP_ACT_ALLOW'));
  assert.equal(s.defaultErrnoRet, 38);
  const pers = s.syscalls.find((r) => r.names[0] === 'personality')!;
  assert.deepEqual(pers.args, [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }]);
  assert.equal(s.syscalls.find((r) => r.names[0] === 'read')!.args, undefined);
  assert.equal(s.syscalls.find((r) => r.action === 'SCMP_ACT_ERRNO')!.errnoRet, 1);
  assert.ok(compareKernel('5.10.0', '5.9') > 0 && compareKernel('4.8', '4.8.0') === 0 && compareKernel('3.2', '4') < 0);
});

test('seccomp: the host profile loads and allows basic syscalls', { skip: !fs.existsSync('/usr/share/containers/seccomp.json') && 'no /usr/share/containers/seccomp.json' }, () => {
  const p = loadSeccompProfile();
  const s = seccompForContainer(p, { caps: DEFAULT_CAPABILITIES });
  const allowed = new Set(s.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
  for (const sc of ['read', 'write', 'execve', 'exit_group', 'chroot']) assert.ok(allowed.has(sc), sc);
  assert.ok(!allowed.has('bpf'), 'bpf needs CAP_SYS_ADMIN');
  assert.equal(loadSeccompProfile(), p, 'cached');
});
