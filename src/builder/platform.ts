// Build platforms (`--platform`, `FROM --platform=`), parsed as Docker
// parses them (containerd's platforms.Parse): components of [A-Za-z0-9_-];
// one component is an OS (with this machine's architecture) or else an
// architecture (on linux), anything else is refused; os/arch and
// os/arch/variant are taken as given, normalized (amd64 for x86_64/x86-64,
// arm64 for aarch64, arm v7 without its variant, arm64 with v8). Without
// emulation a build only pulls for the platform: an image already in the
// store is used as it is, and RUN on a foreign one fails with the
// kernel's exec format error (dockerd 20.10's classic builder does the same).

import { invalid } from '../core/errors.ts';
import { goArch } from '../images/records.ts';

export interface BuildPlatform { os: string; architecture: string; variant?: string }

const COMPONENT = /^[A-Za-z0-9_-]+$/;
const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos']);
const KNOWN_ARCH = new Set(['386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm']);

function normalizeOs(os: string): string {
  const l = os.toLowerCase();
  return l === 'macos' ? 'darwin' : l;
}

function normalizeArch(arch: string, variant: string): [string, string] {
  const a = arch.toLowerCase();
  const v = variant.toLowerCase();
  switch (a) {
    case 'i386': return ['386', ''];
    case 'x86_64': case 'x86-64': case 'amd64': return ['amd64', v === 'v1' ? '' : v];
    case 'aarch64': case 'arm64': return ['arm64', v === '8' || v === 'v8' ? 'v8' : v];
    case 'armhf': return ['arm', 'v7'];
    case 'armel': return ['arm', 'v6'];
    case 'arm': {
      if (v === '' || v === '7' || v === 'v7') return ['arm', 'v7'];
      if (v === '5' || v === '6' || v === '8') return ['arm', `v${v}`];
      return ['arm', v];
    }
    default: return [a, v];
  }
}

export function parsePlatform(spec: string): BuildPlatform {
  if (spec.includes('*')) throw invalid(`"${spec}": wildcards not yet supported: invalid argument`);
  const parts = spec.split('/');
  for (const p of parts) {
    if (!COMPONENT.test(p)) throw invalid(`"${p}" is an invalid component of "${spec}": platform specifier component must match "^[A-Za-z0-9_-]+$": invalid argument`);
  }
  const out = (os: string, [architecture, variant]: [string, string]): BuildPlatform => ({ os, architecture, ...(variant ? { variant } : {}) });
  switch (parts.length) {
    case 1: {
      const os = normalizeOs(parts[0]!);
      if (KNOWN_OS.has(os)) return { os, architecture: goArch() };
      const [arch, variant] = normalizeArch(parts[0]!, '');
      if (KNOWN_ARCH.has(arch)) return out('linux', [arch, arch === 'arm' && variant === 'v7' ? '' : variant]);
      throw invalid(`"${spec}": unknown operating system or architecture: invalid argument`);
    }
    case 2: {
      const [arch, variant] = normalizeArch(parts[1]!, '');
      return out(normalizeOs(parts[0]!), [arch, arch === 'arm' && variant === 'v7' ? '' : variant]);
    }
    case 3: {
      const [arch, variant] = normalizeArch(parts[1]!, parts[2]!);
      return out(normalizeOs(parts[0]!), [arch, arch === 'arm64' && !variant ? 'v8' : variant]);
    }
    default:
      throw invalid(`"${spec}": cannot parse platform specifier: invalid argument`);
  }
}

export function platformString(p: BuildPlatform): string {
  return [p.os, p.architecture, ...(p.variant ? [p.variant] : [])].join('/');
}
