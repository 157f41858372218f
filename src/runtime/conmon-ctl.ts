// Window resizes through conmon's `ctl` FIFO ("1 <height> <width>\n").
//
// conmon 2.1.6 reads the FIFO into a buffer and, when one read returns
// several lines, processes the first line once per line
// (read_from_ctrl_buffer passes the buffer's start, not the current line):
// two resizes written back to back end as the first size. The docker CLI
// does exactly that on attach (height+1/width+1 to force a redraw, then
// the real size), and the last one must win. So writes to one FIFO are
// paced (one message, then a short gap), only the newest size waiting is
// written, and after a burst the final size is written once more on its
// own: a repeated size is harmless (the kernel signals SIGWINCH only on a
// change), a lost final size is not.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { isErrno } from './rootfs.ts';

export interface WindowSize {
  height: number;
  width: number;
}

const GAP_MS = 50;
/** A write this soon after the previous one may have been read with it: confirm the final size. */
const RECENT_MS = 1000;
const CONFIRM_MS = 150;

interface Line {
  /** The size to write next; null when nothing waits. */
  pending: WindowSize | null;
  /** The pending write repeats the last size (it earns no confirmation of its own). */
  pendingIsConfirm: boolean;
  waiters: Array<{ resolve(): void; reject(err: unknown): void }>;
  busy: boolean;
  lastWrite: number;
  last: WindowSize | null;
  needConfirm: boolean;
  timer: NodeJS.Timeout | null;
}

const lines = new Map<string, Line>();

/**
 * Writes a resize to the ctl FIFO at `ctl`; resolves once this size or a
 * newer one was written. Rejects with the open's error (ENXIO, ENOENT) when
 * conmon is gone; see isConmonGone.
 */
/** A terminal dimension conmon's ctl FIFO can carry (0-65535). */
export function isDim(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 65535;
}

export function writeResize(ctl: string, size: WindowSize): Promise<void> {
  let l = lines.get(ctl);
  if (!l) {
    l = { pending: null, pendingIsConfirm: false, waiters: [], busy: false, lastWrite: 0, last: null, needConfirm: false, timer: null };
    lines.set(ctl, l);
  }
  const line = l;
  if (line.timer) {
    clearTimeout(line.timer);
    line.timer = null;
  }
  line.pending = { height: size.height, width: size.width };
  line.pendingIsConfirm = false;
  const done = new Promise<void>((resolve, reject) => line.waiters.push({ resolve, reject }));
  if (!line.busy) void drain(ctl, line);
  return done;
}

async function drain(ctl: string, l: Line): Promise<void> {
  l.busy = true;
  while (l.pending) {
    const wait = l.lastWrite + GAP_MS - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const size = l.pending;
    const confirming = l.pendingIsConfirm;
    const waiters = l.waiters.splice(0);
    l.pending = null;
    try {
      await writeLine(ctl, size);
      const now = Date.now();
      if (!confirming && now - l.lastWrite < RECENT_MS) l.needConfirm = true;
      l.lastWrite = now;
      l.last = size;
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }
  l.busy = false;
  const last = l.last;
  if (l.needConfirm && last) {
    l.needConfirm = false;
    l.timer = setTimeout(() => {
      l.timer = null;
      if (l.busy || l.pending) return;
      l.pending = last;
      l.pendingIsConfirm = true;
      void drain(ctl, l);
    }, CONFIRM_MS);
    l.timer.unref();
  } else {
    idle(ctl, l);
  }
}

/** Forgets a line that stayed quiet long enough that its next write cannot meet the last one. */
function idle(ctl: string, l: Line): void {
  if (l.busy || l.pending || l.timer) return;
  l.timer = setTimeout(() => {
    l.timer = null;
    if (!l.busy && !l.pending && lines.get(ctl) === l) lines.delete(ctl);
  }, RECENT_MS);
  l.timer.unref();
}

async function writeLine(ctl: string, size: WindowSize): Promise<void> {
  // Non-blocking: with no reader (conmon gone) open fails with ENXIO instead of hanging.
  const fh = await fsp.open(ctl, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  try {
    await fh.write(`1 ${size.height} ${size.width}\n`);
  } finally {
    await fh.close();
  }
}

export function isConmonGone(err: unknown): boolean {
  return isErrno(err, 'ENXIO') || isErrno(err, 'ENOENT');
}
