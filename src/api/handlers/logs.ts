// GET /containers/{id}/logs: docker's stream framing (multiplexed frames
// without a TTY, the raw bytes with one), -t's fixed nanosecond stamps and
// --details' attributes, written in batches (batch-writer.ts).

import type { Ctx } from '../context.ts';
import { invalid } from '../../core/errors.ts';
import { BatchWriter } from '../batch-writer.ts';
import { boolParam, startStream } from '../http.ts';
import { MEDIA_MULTIPLEXED, MEDIA_RAW, streamId, SYSTEMERR, frame } from '../stdcopy.ts';
import { fixedNanoTimestamp, parseTimestamp } from '../time.ts';
import { versionAtLeast } from '../version.ts';

/** docker's tail: "all" (or anything not a number, as dockerd treats it) means every line. */
function tailParam(raw: string | null): number | undefined {
  if (raw === null || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw);
}

/**
 * dockerd's --details prefix: the attributes sorted by key, each
 * query-escaped as key=value, joined by commas, then a space (also when
 * there are none).
 */
export function detailsPrefix(attrs: Array<[string, string]>): Buffer {
  const esc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Buffer.from(attrs.map(([k, v]) => `${esc(k)}=${esc(v)}`).join(',') + ' ');
}

/**
 * Errors after the 200 are written in band, as dockerd does ("Error
 * grabbing logs: ...", on the systemerr stream when multiplexed).
 */
export async function logs(ctx: Ctx): Promise<void> {
  const q = ctx.query;
  const stdout = boolParam(q, 'stdout');
  const stderr = boolParam(q, 'stderr');
  if (!stdout && !stderr) throw invalid("must specify at least one of 'stdout' or 'stderr'");
  const since = parseTimestamp('since', q.get('since'));
  const untilRaw = q.get('until');
  const until = untilRaw === '0' ? undefined : parseTimestamp('until', untilRaw);
  const timestamps = boolParam(q, 'timestamps');
  const details = boolParam(q, 'details');
  const tail = tailParam(q.get('tail'));

  const { tty, entries, attrs } = await ctx.deps.containers.logs(ctx.params.id!, {
    stdout, stderr,
    follow: boolParam(q, 'follow'),
    ...(tail !== undefined ? { tail } : {}),
    ...(since ? { since: since.date } : {}),
    ...(until ? { until: until.date } : {}),
    signal: ctx.signal,
    // Without -t or --details nothing per line is needed: runs of lines, one frame each.
    chunks: !timestamps && !details,
  });
  const mux = !tty;
  const prefix = details ? detailsPrefix(attrs ?? []) : null;
  startStream(ctx.res, mux && versionAtLeast(ctx.version, '1.42') ? MEDIA_MULTIPLEXED : MEDIA_RAW);
  const out = new BatchWriter(ctx.res);
  // The lines of one read of the container's pipe share a stamp: made once, sent with each.
  let lastTimestamp = '';
  let lastStamp: Buffer | null = null;
  try {
    for await (const e of entries) {
      if (ctx.signal.aborted) break;
      let stamp: Buffer | null = null;
      if (timestamps && 'timestamp' in e) {
        if (e.timestamp !== lastTimestamp || !lastStamp) {
          lastStamp = Buffer.from(fixedNanoTimestamp(e.timestamp, e.time) + ' ');
          lastTimestamp = e.timestamp;
        }
        stamp = lastStamp;
      }
      if (mux) {
        const header = Buffer.allocUnsafe(8);
        header.writeUInt32BE(streamId(e.stream) << 24, 0);
        header.writeUInt32BE((stamp?.length ?? 0) + (prefix?.length ?? 0) + e.data.length, 4);
        out.push(header);
      }
      if (stamp) out.push(stamp);
      if (prefix) out.push(prefix);
      const waiting = out.push(e.data, 'release' in e ? e.release : undefined);
      if (waiting) await waiting;
    }
    await out.flush();
  } catch (err) {
    await out.flush();
    if (!ctx.signal.aborted) {
      const text = Buffer.from(`Error grabbing logs: ${err instanceof Error ? err.message : String(err)}\n`);
      await out.flush();
      out.push(mux ? frame(SYSTEMERR, text) : text);
      await out.flush();
    }
  }
  ctx.res.end();
}
