// What a local volume may be called and which driver options it takes,
// with dockerd's messages (volume/local/local.go).

import { invalid } from '../core/errors.ts';

const NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const NAME = new RegExp(`^${NAME_CHARS}+$`);
/** The volume's directory is named after it: the kernel's NAME_MAX (names are ASCII here). */
const NAME_MAX = 255;

/** Throws dockerd's error for a name the local driver refuses. */
export function validateVolumeName(name: string): void {
  if (name.length === 1) {
    throw invalid(`create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
  }
  // dockerd answers 500 "file name too long" from mkdir; the name is the client's mistake.
  if (name.length > NAME_MAX) {
    throw invalid(`create ${name.slice(0, 64)}...: volume name is too long (${name.length} characters; at most ${NAME_MAX})`);
  }
  if (!NAME.test(name)) {
    throw invalid(`create ${name}: ${JSON.stringify(name)} includes invalid characters for a local volume name, only ${JSON.stringify(NAME_CHARS)} are allowed. If you intended to pass a host directory, use absolute path`);
  }
}

const OPTION_KEYS = new Set(['type', 'device', 'o', 'size']);

/**
 * The local driver's options: `type` (a filesystem type, "none" with
 * o=bind), `device` (what to mount), `o` (mount options). `size` needs
 * project quotas, which berth's data root does not set up: refused.
 */
export function validateVolumeOptions(name: string, opts: Record<string, string>): void {
  for (const key of Object.keys(opts)) {
    if (!OPTION_KEYS.has(key)) throw invalid(`create ${name}: invalid option: ${JSON.stringify(key)}`);
  }
  if (opts.size !== undefined) throw invalid(`create ${name}: quota size requested but no quota support`);
  const hasAny = Object.keys(opts).length > 0;
  if (hasAny && !opts.type) throw invalid(`create ${name}: missing required option: "type"`);
  if (hasAny && !opts.device) throw invalid(`create ${name}: missing required option: "device"`);
  if (opts.type && /[,\s]/.test(opts.type)) throw invalid(`create ${name}: invalid option "type": ${JSON.stringify(opts.type)}`);
}
