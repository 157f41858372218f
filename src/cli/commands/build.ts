// berth build: a context from a folder (read in place by the daemon on
// this host, so nothing is copied), a tarball, or stdin ("-": a tar, or a
// lone Dockerfile), then the daemon's progress stream as docker prints it.
// The exit code of a failed RUN is the command's exit code, as in docker.

import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { CommandDef } from '../command.ts';
import { exactArgs } from '../command.ts';
import { list, str } from './common.ts';
import { StatusError } from '../errors.ts';
import { readAnswer } from '../prompt.ts';
import { jsonMessages, jsonMessagesOf } from '../../client/jsonstream.ts';
import type { BuildQuery } from '../../client/build.ts';
import { parseNormalizedNamed } from '../options/reference.ts';
import { isGitUrl } from '../../core/git-url.ts';

function keyValues(items: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of items) {
    const eq = kv.indexOf('=');
    if (eq === 0) throw new Error(`invalid ${what} "${kv}"`);
    if (eq < 0) {
      // docker: "--build-arg NAME" takes NAME's value from the environment, if set.
      if (process.env[kv] !== undefined) out[kv] = process.env[kv]!;
      continue;
    }
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/**
 * --secret as buildx parses it (type=file|env, id, src|source, env); with neither src nor env,
 * the variable named by the id if it is set, else the file named by it (BuildKit's secretsprovider).
 * Files go to the daemon as paths on this host, values from the environment by value.
 */
export function parseSecrets(specs: string[], cwd: string, env: NodeJS.ProcessEnv): { files: string[]; values: Record<string, Buffer> } {
  const files: string[] = [];
  const values: Record<string, Buffer> = {};
  for (const spec of specs) {
    let typ = '';
    let id = '';
    let file = '';
    let envName = '';
    for (const field of spec.split(',')) {
      const eq = field.indexOf('=');
      if (eq < 0) throw new Error(`invalid field '${field}' must be a key=value pair`);
      const key = field.slice(0, eq).toLowerCase();
      const value = field.slice(eq + 1);
      if (key === 'type') {
        if (value !== 'file' && value !== 'env') throw new Error(`unsupported secret type "${value}"`);
        typ = value;
      } else if (key === 'id') id = value;
      else if (key === 'source' || key === 'src') file = value;
      else if (key === 'env') envName = value;
      else throw new Error(`unexpected key '${key}' in '${field}'`);
    }
    if (typ === 'env' && !envName) { envName = file; file = ''; }
    if (!id) throw new Error('secret missing ID');
    if (!envName && !file) {
      if (env[id] !== undefined) envName = id;
      else file = id;
    }
    if (envName) {
      values[id] = Buffer.from(env[envName] ?? '');
      continue;
    }
    const abs = resolve(cwd, file);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st) throw new Error(`failed to stat ${file}: no such file or directory`);
    if (st.size > 500 * 1024) throw new Error(`secret ${id} too big. max size 500KB`);
    files.push(`id=${id},src=${abs}`);
  }
  return { files, values };
}

/** A tar holding one file named "Dockerfile" (docker build - < Dockerfile). */
function dockerfileTar(text: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write('Dockerfile', 0, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${text.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (text.length % 512)) % 512);
  return Buffer.concat([header, text, pad, Buffer.alloc(1024)]);
}

function isTar(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return true;
  if (head.length >= 6 && head[0] === 0xfd && head.toString('latin1', 1, 6) === '7zXZ\0') return true;
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return true;
  return head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar';
}

async function readAll(src: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of src) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

export const build: CommandDef = {
  name: 'build',
  usage: '[OPTIONS] PATH | URL | -',
  description: 'Build an image from a Dockerfile',
  args: exactArgs(1),
  flags: [
    { name: 'build-arg', type: 'list', usage: 'Set build-time variables' },
    { name: 'cache-from', type: 'list', usage: 'Images to consider as cache sources' },
    { name: 'file', short: 'f', type: 'string', usage: "Name of the Dockerfile (Default is 'PATH/Dockerfile')" },
    { name: 'force-rm', type: 'bool', usage: 'Always remove intermediate containers' },
    { name: 'iidfile', type: 'string', usage: 'Write the image ID to the file' },
    { name: 'label', type: 'list', usage: 'Set metadata for an image' },
    { name: 'network', type: 'string', default: 'default', usage: 'Set the networking mode for the RUN instructions during build' },
    { name: 'no-cache', type: 'bool', usage: 'Do not use cache when building the image' },
    { name: 'platform', type: 'string', usage: 'Set platform if server is multi-platform capable' },
    { name: 'pull', type: 'bool', usage: 'Always attempt to pull a newer version of the image' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress the build output and print image ID on success' },
    { name: 'rm', type: 'bool', default: true, usage: 'Remove intermediate containers after a successful build' },
    { name: 'secret', type: 'list', usage: 'Secret to expose to the build (format: "id=mysecret[,src=/local/secret]" or "id=mysecret,env=VAR")' },
    { name: 'tag', short: 't', type: 'list', usage: 'Name and optionally a tag in the "name:tag" format' },
    { name: 'target', type: 'string', usage: 'Set the target build stage to build.' },
  ],
  async run(ctx, args, flags) {
    const tags = list(flags.values.tag);
    for (const t of tags) {
      try { parseNormalizedNamed(t); } catch (err) { throw new Error(`invalid argument "${t}" for "-t, --tag" flag: ${(err as Error).message}`); }
    }
    const quiet = flags.values.quiet === true;
    const file = str(flags.values.file);
    const q: BuildQuery = {
      t: tags, buildargs: keyValues(list(flags.values['build-arg']), 'build-arg'), labels: keyValues(list(flags.values.label), 'label'),
      target: str(flags.values.target) || undefined, nocache: flags.values['no-cache'] === true, pull: flags.values.pull === true,
      q: quiet, rm: flags.values.rm !== false, forcerm: flags.values['force-rm'] === true,
      networkmode: str(flags.values.network) || undefined, cachefrom: list(flags.values['cache-from']),
      platform: str(flags.values.platform) || process.env.DOCKER_DEFAULT_PLATFORM || undefined,
    };
    const secrets = parseSecrets(list(flags.values.secret), ctx.io.cwd, ctx.io.env);
    q.secrets = secrets.files;
    q.secretValues = secrets.values;
    const target = args[0]!;
    let body: Readable | undefined;
    let sent = 0;
    if (target === '-') {
      const data = await readAll(ctx.io.stdin);
      if (isTar(data.subarray(0, 512))) {
        body = Readable.from([data]);
        if (file) q.dockerfile = file;
      } else {
        body = Readable.from([dockerfileTar(data)]);
      }
      sent = data.length;
    } else if (/^https?:\/\//.test(target) || isGitUrl(target)) {
      q.remote = target;
      if (file) q.dockerfile = file;
    } else {
      const path = resolve(ctx.io.cwd, target);
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st) throw new Error(`unable to prepare context: path "${target}" not found`);
      if (st.isDirectory()) {
        q.contextdir = path;
        if (file === '-') {
          throw new Error('berth build: a Dockerfile from stdin needs "-" as the context');
        } else if (file) {
          const abs = resolve(ctx.io.cwd, file);
          const rel = relative(path, abs);
          q.dockerfile = rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
        }
      } else {
        body = createReadStream(path);
        sent = st.size;
        if (file) q.dockerfile = file;
      }
    }
    if (body && !quiet) ctx.out(`Sending build context to Docker daemon  ${humanBytes(sent)}`);
    // A quiet build with nothing to send prints only at the end: its answer is read whole.
    const messages = quiet && !body ? jsonMessagesOf((await ctx.client.build.buildBuffered(q)).toString('utf8')) : jsonMessages(await ctx.client.build.build(body, q));
    let id = '';
    for await (const jm of messages) {
      const m = jm as { stream?: string; aux?: { ID?: string }; error?: string; errorDetail?: { message?: string; code?: number } };
      if (m.error || m.errorDetail) {
        const code = m.errorDetail?.code;
        throw new StatusError(code && code > 0 ? code : 1, m.errorDetail?.message ?? m.error ?? 'build failed');
      }
      if (m.aux?.ID) { id = m.aux.ID; continue; }
      if (m.stream && !quiet) ctx.io.stdout.write(m.stream);
    }
    if (quiet) ctx.out(id);
    const iid = str(flags.values.iidfile);
    if (iid) writeFileSync(resolve(ctx.io.cwd, iid), id);
  },
};

function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${i === 0 ? v : Number(v.toPrecision(4))}${units[i]}`;
}

export const builderPrune: CommandDef = {
  name: 'builder prune',
  usage: '[OPTIONS]',
  description: 'Remove build cache',
  args: exactArgs(0),
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Remove all unused build cache, not just dangling ones' },
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  async run(ctx, _args, flags) {
    if (flags.values.force !== true) {
      const what = flags.values.all === true ? 'all build cache' : 'all dangling build cache';
      ctx.io.stdout.write(`WARNING! This will remove ${what}. Are you sure you want to continue? [y/N] `);
      if (!/^y(es)?$/i.test((await readAnswer(ctx.io.stdin)).trim())) return;
    }
    const r = await ctx.client.build.prune({ all: flags.values.all === true });
    if (r.CachesDeleted?.length) {
      ctx.out('Deleted build cache objects:');
      for (const c of r.CachesDeleted) ctx.out(c);
      ctx.out('');
    }
    ctx.out(`Total reclaimed space: ${humanBytes(r.SpaceReclaimed)}`);
  },
};

