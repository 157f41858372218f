// Signal names as users type them ("SIGTERM", "term", "15", "SIGRTMIN+3")
// to numbers, the way Docker's signal.ParseSignal accepts them.

import os from 'node:os';
import { invalid } from '../core/errors.ts';

const SIGRTMIN = 34;
const SIGRTMAX = 64;

export function parseSignal(sig: string | number): number {
  if (typeof sig === 'number') {
    if (Number.isInteger(sig) && sig > 0 && sig <= SIGRTMAX) return sig;
    throw invalid(`Invalid signal: ${sig}`);
  }
  const s = sig.trim();
  if (/^[0-9]+$/.test(s)) {
    const n = Number(s);
    if (n > 0 && n <= SIGRTMAX) return n;
    // dockerd's ParseSignal takes any number but 0; the daemon then refuses one the platform lacks.
    throw invalid(n === 0 ? `Invalid signal: ${sig}` : `The linux daemon does not support signal ${n}`);
  }
  const name = s.toUpperCase().replace(/^SIG/, '');
  const rt = /^RTM(IN|AX)([+-]\d+)?$/.exec(name);
  if (rt) {
    const n = (rt[1] === 'IN' ? SIGRTMIN : SIGRTMAX) + Number(rt[2] ?? 0);
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
    throw invalid(`Invalid signal: ${sig}`);
  }
  const table = os.constants.signals as Record<string, number>;
  const n = table[`SIG${name}`];
  if (n === undefined || name === '') throw invalid(`Invalid signal: ${sig}`);
  return n;
}
