// `docker import` of a decompression bomb (a small gzip holding gigabytes of
// zeros) on a private dockerd and a private berthd, one after the other:
// the answer, its time, and how much the data root grew (peak, sampled each
// second, and what stayed). A run is stopped (request aborted) once a data
// root grows past --cap, so a daemon without a limit cannot fill the disk.
//
//   truncate -s 10G /tmp/bomb/zeros && tar -C /tmp/bomb -cf - zeros | gzip -9 > /tmp/bomb/bomb.tar.gz
//   bin/node24 --disable-warning=ExperimentalWarning stress/import-bomb.ts --bomb /tmp/bomb/bomb.tar.gz [--cap-gib 12] [--only dockerd|berthd]
//
// Needs root. Prints one JSON line per daemon.

import { createReadStream, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { startBerthd } from '../test/helpers/daemon.ts';
import { startDockerd } from '../test/helpers/dockerd.ts';
import type { PrivateDaemon } from '../test/helpers/private-daemon.ts';

const { values } = parseArgs({
  options: {
    bomb: { type: 'string' },
    'cap-gib': { type: 'string', default: '12' },
    only: { type: 'string' },
  },
});
if (!values.bomb) throw new Error('--bomb FILE is required');
const bomb = values.bomb;
const cap = Number(values['cap-gib']) * 2 ** 30;

function duBytes(dir: string): number {
  try {
    return Number(execFileSync('du', ['-sbx', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\t')[0]);
  } catch {
    return NaN; // a file vanished mid-walk: the next sample counts
  }
}

interface Result {
  daemon: string; bombBytes: number; status: number | string; message: string; seconds: number;
  dataRootBefore: number; peakGrowth: number; growthAfter: number; stoppedByCap: boolean;
}

async function measure(kind: 'dockerd' | 'berthd', d: PrivateDaemon): Promise<Result> {
  const before = duBytes(d.dataRoot);
  let peak = 0;
  let stoppedByCap = false;
  const t0 = Date.now();
  const req = http.request({
    socketPath: d.socket, method: 'POST', path: '/v1.41/images/create?fromSrc=-&repo=bomb&tag=x',
    headers: { 'content-type': 'application/x-tar', 'content-length': statSync(bomb).size },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  createReadStream(bomb).pipe(req);
  const sampler = setInterval(() => {
    const grown = duBytes(d.dataRoot) - before;
    if (grown > peak) peak = grown;
    if (grown > cap && !stoppedByCap) {
      stoppedByCap = true;
      req.destroy(new Error(`stopped: the data root grew past ${values['cap-gib']} GiB`));
    }
  }, 1000);
  let status: number | string;
  let message: string;
  try {
    const r = await answer;
    status = r.status;
    message = r.body.trim().slice(0, 400);
  } catch (e) {
    status = 'aborted';
    message = e instanceof Error ? e.message : String(e);
  } finally {
    clearInterval(sampler);
  }
  const seconds = (Date.now() - t0) / 1000;
  const last = duBytes(d.dataRoot) - before;
  if (last > peak) peak = last;
  // What stays once the daemon has settled (a cut import may still be cleaning up).
  await new Promise((r) => setTimeout(r, 5000));
  return {
    daemon: kind, bombBytes: statSync(bomb).size, status, message, seconds,
    dataRootBefore: before, peakGrowth: peak, growthAfter: duBytes(d.dataRoot) - before, stoppedByCap,
  };
}

for (const kind of ['dockerd', 'berthd'] as const) {
  if (values.only && values.only !== kind) continue;
  const d = kind === 'dockerd' ? await startDockerd({ seedBusybox: false }) : await startBerthd();
  try {
    console.log(JSON.stringify(await measure(kind, d)));
  } finally {
    await d.cleanup();
  }
}
