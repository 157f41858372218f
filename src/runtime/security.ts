// HostConfig.securityOpt, the subset that means something on a Linux host
// without AppArmor or SELinux:
//   seccomp=unconfined | seccomp=<profile JSON>   (the docker CLI sends the
//                                                  file's content, not its path)
//   no-new-privileges[=true|false]
//   systempaths=unconfined                        (no masked / read-only paths)
//   apparmor=..., label=...                       accepted, nothing to apply
// The old "key:value" spelling is accepted like Docker does.

import { invalid } from '../core/errors.ts';
import { parseSeccompProfile, type SeccompProfile } from './seccomp.ts';

export interface SecurityOptions {
  /** null: the default profile; 'unconfined': none; else a custom profile. */
  seccomp: SeccompProfile | 'unconfined' | null;
  noNewPrivileges: boolean;
  unconfinedSystemPaths: boolean;
}

export function parseSecurityOpts(opts: readonly string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { seccomp: null, noNewPrivileges: false, unconfinedSystemPaths: false };
  for (const raw of opts ?? []) {
    const eq = raw.indexOf('=');
    const colon = raw.indexOf(':');
    // "seccomp=<json>" contains ":" inside the JSON, so "=" wins when it comes first.
    const cut = eq >= 0 && (colon < 0 || eq < colon) ? eq : colon;
    const key = cut < 0 ? raw : raw.slice(0, cut);
    const value = cut < 0 ? '' : raw.slice(cut + 1);
    switch (key) {
      case 'no-new-privileges':
        if (value === '' || value === 'true') out.noNewPrivileges = true;
        else if (value === 'false') out.noNewPrivileges = false;
        else throw invalid(`invalid --security-opt 2: "${raw}"`);
        break;
      case 'seccomp':
        if (value === 'unconfined') out.seccomp = 'unconfined';
        else if (value.trim().startsWith('{')) out.seccomp = parseSeccompProfile(value, 'security-opt');
        else throw invalid(`invalid --security-opt: "${raw}": seccomp wants "unconfined" or a profile's JSON content`);
        break;
      case 'systempaths':
        if (value !== 'unconfined') throw invalid(`invalid --security-opt: "${raw}": systempaths only supports "unconfined"`);
        out.unconfinedSystemPaths = true;
        break;
      case 'apparmor':
      case 'label':
        break;
      default:
        throw invalid(`Invalid --security-opt: "${raw}"`);
    }
  }
  return out;
}
