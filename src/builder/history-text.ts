// The created_by text of config-only steps as dockerd's classic builder
// writes it: Go's fmt verbs over Go values (`CMD %q` of a []string,
// `SHELL %v`, `HEALTHCHECK %q` of a *HealthConfig). `docker history` shows
// these, and --cache-from matches on them, so they follow Go byte for byte
// for what a Dockerfile can hold.

import { formatGoDuration } from '../core/duration.ts';
import type { ImageRunConfig } from '../core/image.ts';

/** dockerd's comment command: the stage's shell, then "#(nop) " (config steps add one more space before the text). */
export function nopPrefix(config: ImageRunConfig): string {
  return `${(config.Shell?.length ? config.Shell : ['/bin/sh', '-c']).join(' ')} #(nop) `;
}

const ESC: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };

function escapeRune(cp: number, quote: string): string {
  if (cp === quote.charCodeAt(0) || cp === 0x5c) return `\\${String.fromCodePoint(cp)}`;
  if (ESC[cp]) return ESC[cp]!;
  if (cp < 0x20 || cp === 0x7f) return `\\x${cp.toString(16).padStart(2, '0')}`;
  // Go's IsPrint: Latin-1 controls and the non-ASCII spaces are escaped.
  if ((cp >= 0x80 && cp < 0xa0) || cp === 0xad || (cp > 0x7f && /\s/u.test(String.fromCodePoint(cp)))) {
    return cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return String.fromCodePoint(cp);
}

/** strconv.Quote (fmt's %q of a string). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch.codePointAt(0)!, '"');
  return `${out}"`;
}

/** fmt's %q of an integer: a quoted rune literal. */
export function goQuoteRune(n: number): string {
  return `'${escapeRune(n, "'")}'`;
}

/** fmt's %q of a []string: ["a" "b"]. */
export function goQuoteList(v: readonly string[]): string {
  return `[${v.map(goQuote).join(' ')}]`;
}

/** fmt's %v of a []string: [a b]. */
export function goList(v: readonly string[]): string {
  return `[${v.join(' ')}]`;
}

/** fmt's %q of dockerd 20.10's *container.HealthConfig: &{[test] "interval" "timeout" "start" 'retries'}. */
export function goHealthcheck(test: readonly string[], intervalNs = 0, timeoutNs = 0, startNs = 0, retries = 0): string {
  const d = (ns: number) => goQuote(formatGoDuration(ns));
  return `&{${goQuoteList(test)} ${d(intervalNs)} ${d(timeoutNs)} ${d(startNs)} ${goQuoteRune(retries)}}`;
}
