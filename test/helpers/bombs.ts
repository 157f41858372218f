// Decompression bombs made in the test, streaming (never the whole
// expansion in memory): a tar holding one file of zeros, compressed, and
// the image archives and registry that deliver it to docker load and pull.
//
//   const b = await zeroBomb(300 << 20);      // ~300 KiB of gzip
//   b.bytes, b.diffId (sha256 of the tar inside)

import { createHash } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { END_OF_ARCHIVE, emptyHeader, encodeHeader, padLength } from '../../src/stores/tar/format.ts';
import { tarOf } from './oci.ts';

const MiB = 1024 * 1024;
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A tar of one file, `name`, of `size` zero bytes, in chunks. */
export async function* zeroTar(size: number, name = 'zero'): AsyncGenerator<Buffer> {
  const h = emptyHeader(name, 'file');
  h.mode = 0o644;
  h.size = size;
  h.mtime = 1_600_000_000;
  yield encodeHeader(h);
  const chunk = Buffer.alloc(MiB);
  for (let left = size; left > 0; left -= MiB) yield left >= MiB ? chunk : chunk.subarray(0, left);
  yield Buffer.alloc(padLength(size));
  yield END_OF_ARCHIVE;
}

export interface Bomb {
  /** The compressed archive. */
  bytes: Buffer;
  /** sha256 of the uncompressed tar (the layer's diffID). */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
}

/**
 * Compresses a stream of chunks. gzip: each chunk its own member (gunzip
 * reads them back to back), so a chunk yielded again (the same Buffer) is
 * compressed once and 300 MiB of zeros take a moment, not seconds. zstd
 * (fast anyway) is one frame: Node's decoder stops after the first.
 */
async function compress(src: AsyncIterable<Buffer>, codec: 'gzip' | 'zstd'): Promise<Bomb> {
  if (codec === 'zstd') return compressStream(src);
  const hash = createHash('sha256');
  let tarSize = 0;
  const seen = new Map<Buffer, Buffer>();
  const out: Buffer[] = [];
  const pack = (c: Buffer) => zlib.gzipSync(c, { level: 9 });
  let small: Buffer[] = [];
  const flush = () => { if (small.length) out.push(pack(Buffer.concat(small))); small = []; };
  for await (const c of src) {
    hash.update(c);
    tarSize += c.length;
    if (c.length < MiB) { small.push(c); continue; }
    flush();
    let z = seen.get(c);
    if (!z) seen.set(c, z = pack(c));
    out.push(z);
  }
  flush();
  return { bytes: Buffer.concat(out), diffId: `sha256:${hash.digest('hex')}`, tarSize };
}

async function compressStream(src: AsyncIterable<Buffer>): Promise<Bomb> {
  const hash = createHash('sha256');
  let tarSize = 0;
  const z = zlib.createZstdCompress({ params: { [zlib.constants.ZSTD_c_compressionLevel]: 1 } });
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => { z.on('end', resolve); z.on('error', reject); });
  for await (const c of src) {
    hash.update(c);
    tarSize += c.length;
    if (!z.write(c)) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await done;
  return { bytes: Buffer.concat(out), diffId: `sha256:${hash.digest('hex')}`, tarSize };
}

/** A tar of `size` zeros, compressed. */
export function zeroBomb(size: number, codec: 'gzip' | 'zstd' = 'gzip'): Promise<Bomb> {
  return compress(zeroTar(size), codec);
}

/** A build context: a Dockerfile, then `size` zeros, gzip-compressed. */
export async function contextBomb(size: number): Promise<Bomb> {
  const dockerfile = Buffer.from('FROM scratch\nCOPY zero /\n');
  async function* ctx(): AsyncGenerator<Buffer> {
    const h = emptyHeader('Dockerfile', 'file');
    h.mode = 0o644;
    h.size = dockerfile.length;
    yield encodeHeader(h);
    yield dockerfile;
    yield Buffer.alloc(padLength(dockerfile.length));
    yield* zeroTar(size);
  }
  return compress(ctx(), 'gzip');
}

function imageConfig(diffId: string): Buffer {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/zero'] }, rootfs: { type: 'layers', diff_ids: [diffId] } }));
}

/** `docker save` format (layer.tar uncompressed inside) of a `size`-zero layer, the whole archive gzip-compressed. */
export async function savedArchiveBomb(size: number, tag: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of zeroTar(size)) parts.push(c);
  const layer = Buffer.concat(parts);
  const config = imageConfig(sha(layer));
  const id = sha(config).slice(7);
  const tar = await tarOf({
    [`${id}.json`]: config,
    'l1/layer.tar': layer,
    'manifest.json': JSON.stringify([{ Config: `${id}.json`, RepoTags: [tag], Layers: ['l1/layer.tar'] }]),
  });
  return (await compress(Readable.from([tar]), 'gzip')).bytes;
}

/** An OCI layout as a tar (what docker load takes) whose one layer is `bomb`, kept compressed. */
export async function ociArchiveBomb(bomb: Bomb, tag: string): Promise<Buffer> {
  const config = imageConfig(bomb.diffId);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(bomb.bytes), size: bomb.bytes.length }],
  }));
  return tarOf({
    'oci-layout': JSON.stringify({ imageLayoutVersion: '1.0.0' }),
    'index.json': JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, annotations: { 'io.containerd.image.name': tag, 'org.opencontainers.image.ref.name': tag.split(':').pop() } }] }),
    [`blobs/sha256/${sha(config).slice(7)}`]: config,
    [`blobs/sha256/${sha(manifest).slice(7)}`]: manifest,
    [`blobs/sha256/${sha(bomb.bytes).slice(7)}`]: bomb.bytes,
  });
}

export interface BombRegistry { host: string; close(): Promise<void> }

/** A registry on loopback serving each bomb as `<host>/bomb:<name>`, a one-layer image. */
export async function serveBombs(bombs: Record<string, Bomb>): Promise<BombRegistry> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, Buffer>();
  for (const [name, b] of Object.entries(bombs)) {
    const config = imageConfig(b.diffId);
    blobs.set(sha(config), config);
    blobs.set(sha(b.bytes), b.bytes);
    manifests.set(name, Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(b.bytes), size: b.bytes.length }],
    })));
  }
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    const send = (status: number, body: Buffer, type: string, digest?: string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': body.length, ...(digest ? { 'docker-content-digest': digest } : {}) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (url === '/v2/') return send(200, Buffer.from('{}'), 'application/json');
    let m = /^\/v2\/bomb\/manifests\/([^/]+)$/.exec(url);
    const body = m ? manifests.get(decodeURIComponent(m[1]!)) ?? [...manifests.values()].find((b) => sha(b) === decodeURIComponent(m![1]!)) : undefined;
    if (body) return send(200, body, 'application/vnd.oci.image.manifest.v1+json', sha(body));
    m = /^\/v2\/bomb\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url);
    if (m && blobs.has(m[1]!)) return send(200, blobs.get(m[1]!)!, 'application/octet-stream', m[1]);
    send(404, Buffer.from(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'unknown' }] })), 'application/json');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
