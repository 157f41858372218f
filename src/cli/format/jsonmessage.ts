// docker's jsonmessage display for pull/import progress streams. On a
// terminal, progress lines of the same layer id are rewritten in place;
// elsewhere progress bars are left out and each status is one line.

import type { Readable, Writable } from 'node:stream';
import { StreamError, jsonMessages } from '../../client/index.ts';
import type { JsonMessage } from '../../client/index.ts';
import { humanSize } from './units.ts';

function progressText(jm: JsonMessage): string {
  if (jm.progress) return jm.progress;
  const d = jm.progressDetail;
  if (!d || !d.current) return '';
  return d.total ? `${humanSize(d.current)}/${humanSize(d.total)}` : humanSize(d.current);
}

function hasProgress(jm: JsonMessage): boolean {
  return jm.progressDetail !== undefined && jm.progressDetail !== null;
}

function timestamp(jm: JsonMessage): string {
  const ns = jm.timeNano ?? (jm.time ? jm.time * 1e9 : 0);
  if (!ns) return '';
  const d = new Date(Math.floor(ns / 1e6));
  return `${d.toISOString().slice(0, 19)}.${String(Math.floor(ns % 1e9)).padStart(9, '0')}Z `;
}

/** JSONMessage.Display */
function display(jm: JsonMessage, out: Writable, terminal: boolean): void {
  let endl = '';
  if (terminal && !jm.stream && hasProgress(jm)) {
    out.write('\x1b[2K\r');
    endl = '\r';
  } else if (hasProgress(jm) && progressText(jm) !== '') {
    return; // no progress bars off a terminal
  }
  let line = timestamp(jm);
  if (jm.id) line += `${jm.id}: `;
  if (jm.from) line += `(from ${jm.from}) `;
  if (hasProgress(jm) && terminal) line += `${jm.status ?? ''} ${progressText(jm)}${endl}`;
  else if (jm.progress) line += `${jm.status ?? ''} ${jm.progress}${endl}`;
  else if (jm.stream) line += `${jm.stream}${endl}`;
  else line += `${jm.status ?? ''}${endl}\n`;
  out.write(line);
}

/** DisplayJSONMessagesStream; rejects with the first error message in the stream. */
export async function displayJsonMessages(source: Readable, out: Writable, terminal: boolean): Promise<void> {
  let ids = new Map<string, number>();
  for await (const jm of jsonMessages(source)) {
    const error = jm.errorDetail?.message ?? jm.error;
    if (error) throw new StreamError(error);
    if (jm.aux !== undefined) continue;
    let diff = 0;
    if (jm.id && (hasProgress(jm) || jm.progress)) {
      let line = ids.get(jm.id);
      if (line === undefined) {
        line = ids.size;
        ids.set(jm.id, line);
        if (terminal) out.write('\n');
      }
      diff = ids.size - line;
      if (terminal && diff > 0) out.write(`\x1b[${diff}A`);
    } else {
      // Something that is not progress: earlier progress lines are final.
      ids = new Map();
    }
    display(jm, out, terminal);
    if (jm.id && terminal && diff > 0) out.write(`\x1b[${diff}B`);
  }
}
