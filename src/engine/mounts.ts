import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** Unescapes mountinfo's octal escapes (\040 for space...). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

function parseMountPoints(text: string): string[] {
  return text.split('\n').filter(Boolean).map((l) => unescape(l.split(' ')[4]!));
}

export async function mountPoints(): Promise<string[]> {
  return parseMountPoints(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** mountPoints() for callers that must finish before anything else runs (a daemon's start). */
export function mountPointsSync(): string[] {
  return parseMountPoints(readFileSync('/proc/self/mountinfo', 'utf8'));
}

export async function isMounted(path: string): Promise<boolean> {
  return (await mountPoints()).includes(path);
}
