// Seccomp: the containers/common profile (/usr/share/containers/seccomp.json)
// turned into the OCI spec's linux.seccomp for one container.
//
// The file is a template, not a filter: each syscall rule may carry
//   includes: { caps, arches, minKernel }   -> the rule applies only if the
//             container has ALL those caps, runs on one of those arches,
//             and the kernel is at least that version;
//   excludes: { caps, arches }              -> the rule is skipped if the
//             container has ANY of those caps or runs on one of those arches.
// Arch names in includes/excludes are the native names ("amd64", "arm64",
// "x86"...); archMap lists which seccomp architectures (with their 32-bit
// sub-architectures) the filter must cover on the native one. Only the
// native entry is kept, as Docker and podman do.

import fs from 'node:fs';
import os from 'node:os';
import { invalid } from '../core/errors.ts';

export const DEFAULT_SECCOMP_PROFILE = '/usr/share/containers/seccomp.json';

interface ProfileArg { index: number; value: number; valueTwo?: number; op: string }
interface ProfileFilter { caps?: string[]; arches?: string[]; minKernel?: string }
interface ProfileSyscall {
  name?: string;
  names?: string[];
  action: string;
  args?: ProfileArg[] | null;
  errnoRet?: number;
  includes?: ProfileFilter;
  excludes?: ProfileFilter;
}
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap?: Array<{ architecture: string; subArchitectures?: string[] | null }> | null;
  architectures?: string[];
  flags?: string[];
  syscalls?: ProfileSyscall[] | null;
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls: Array<{ names: string[]; action: string; errnoRet?: number; args?: ProfileArg[] }>;
}

/** Node's process.arch -> [native arch name used in profiles, libseccomp arch]. */
const ARCHES: Record<string, [string, string]> = {
  x64: ['amd64', 'SCMP_ARCH_X86_64'],
  ia32: ['x86', 'SCMP_ARCH_X86'],
  arm64: ['arm64', 'SCMP_ARCH_AARCH64'],
  arm: ['arm', 'SCMP_ARCH_ARM'],
  ppc64: ['ppc64le', 'SCMP_ARCH_PPC64LE'],
  s390x: ['s390x', 'SCMP_ARCH_S390X'],
  riscv64: ['riscv64', 'SCMP_ARCH_RISCV64'],
  mips64el: ['mips64le', 'SCMP_ARCH_MIPSEL64'],
  loong64: ['loong64', 'SCMP_ARCH_LOONGARCH64'],
};

export function nativeArch(nodeArch: string = process.arch): { name: string; seccomp: string } {
  const a = ARCHES[nodeArch];
  if (!a) throw invalid(`seccomp: unsupported architecture ${nodeArch}`);
  return { name: a[0], seccomp: a[1] };
}

const cache = new Map<string, { mtimeMs: number; profile: SeccompProfile }>();

/** Reads and parses a profile file, cached until the file changes. */
export function loadSeccompProfile(file: string = DEFAULT_SECCOMP_PROFILE): SeccompProfile {
  const st = fs.statSync(file);
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs) return hit.profile;
  const profile = parseSeccompProfile(fs.readFileSync(file, 'utf8'), file);
  cache.set(file, { mtimeMs: st.mtimeMs, profile });
  return profile;
}

export function parseSeccompProfile(text: string, origin = 'profile'): SeccompProfile {
  let p: SeccompProfile;
  try {
    p = JSON.parse(text) as SeccompProfile;
  } catch (err) {
    throw invalid(`decoding seccomp profile failed: ${origin}: ${(err as Error).message}`);
  }
  if (typeof p !== 'object' || p === null || typeof p.defaultAction !== 'string') {
    throw invalid(`decoding seccomp profile failed: ${origin}: missing defaultAction`);
  }
  return p;
}

export interface SeccompContext {
  /** The container's capabilities (its bounding set), "CAP_*" names. */
  caps: readonly string[];
  /** Node-style arch; default process.arch. */
  arch?: string;
  /** Kernel release like "6.1.0-18-amd64"; default os.release(). */
  kernel?: string;
}

/** The OCI seccomp section for a container with these capabilities on this host. */
export function seccompForContainer(profile: SeccompProfile, ctx: SeccompContext): OciSeccomp {
  const arch = nativeArch(ctx.arch);
  const kernel = ctx.kernel ?? os.release();
  const caps = new Set(ctx.caps);
  const out: OciSeccomp = { defaultAction: profile.defaultAction, syscalls: [] };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags?.length) out.flags = [...profile.flags];

  if (profile.archMap?.length) {
    const entry = profile.archMap.find((a) => a.architecture === arch.seccomp);
    if (entry) out.architectures = [entry.architecture, ...(entry.subArchitectures ?? [])];
  } else if (profile.architectures?.length) {
    out.architectures = [...profile.architectures];
  }

  for (const rule of profile.syscalls ?? []) {
    if (!applies(rule, arch.name, caps, kernel)) continue;
    const names = rule.names?.length ? rule.names : rule.name ? [rule.name] : [];
    if (names.length === 0) continue;
    const sc: OciSeccomp['syscalls'][number] = { names: [...names], action: rule.action };
    if (rule.errnoRet !== undefined) sc.errnoRet = rule.errnoRet;
    if (rule.args?.length) {
      sc.args = rule.args.map((a) => {
        const arg: ProfileArg = { index: a.index, value: a.value, op: a.op };
        if (a.valueTwo) arg.valueTwo = a.valueTwo;
        return arg;
      });
    }
    out.syscalls.push(sc);
  }
  return out;
}

function applies(rule: ProfileSyscall, arch: string, caps: Set<string>, kernel: string): boolean {
  const inc = rule.includes ?? {};
  const exc = rule.excludes ?? {};
  if (exc.arches?.includes(arch)) return false;
  if (inc.arches?.length && !inc.arches.includes(arch)) return false;
  if (exc.caps?.some((c) => caps.has(c))) return false;
  if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) return false;
  if (inc.minKernel && compareKernel(kernel, inc.minKernel) < 0) return false;
  return true;
}

/** Compares "major.minor[.patch]" prefixes of two kernel releases. */
export function compareKernel(a: string, b: string): number {
  const parse = (s: string) => (/^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(s) ?? []).slice(1, 4).map((x) => Number(x ?? 0));
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  }
  return 0;
}
