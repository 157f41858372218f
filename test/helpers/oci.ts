// Small images made in the test: gzip layers from a few files, a config and
// a manifest (OCI or Docker schema2), written as an OCI layout or pushed to
// a registry over the distribution protocol.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface Blob { digest: string; size: number; data: Buffer; mediaType: string }

export interface TestImage {
  config: Blob;
  layers: Blob[];
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
  diffIds: string[];
}

export async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const [name, content] of Object.entries(files)) {
    pack.entry({ name, mode: 0o755, mtime: new Date(0), uid: 0, gid: 0 }, typeof content === 'string' ? Buffer.from(content) : content);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function blob(data: Buffer, mediaType: string): Blob {
  return { digest: sha(data), size: data.length, data, mediaType };
}

export async function makeImage(opts: { layers: Array<Record<string, string | Buffer>>; docker?: boolean; cmd?: string[]; arch?: string }): Promise<TestImage> {
  const docker = opts.docker ?? false;
  const tars = await Promise.all(opts.layers.map((l) => tarOf(l)));
  const layers = tars.map((t) => blob(gzipSync(t), docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip'));
  const diffIds = tars.map((t) => sha(t));
  const cfg = {
    architecture: opts.arch ?? 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
    config: { Cmd: opts.cmd ?? ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'test' })),
  };
  const config = blob(Buffer.from(JSON.stringify(cfg)), docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json');
  const mediaType = docker ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/vnd.oci.image.manifest.v1+json';
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  }));
  return { config, layers, manifest, manifestDigest: sha(manifest), mediaType, diffIds };
}

/** Writes an OCI image layout holding img under tag. */
export function writeOciLayout(dir: string, img: TestImage, tag: string): void {
  mkdirSync(`${dir}/blobs/sha256`, { recursive: true });
  for (const b of [img.config, ...img.layers]) writeFileSync(`${dir}/blobs/sha256/${b.digest.slice(7)}`, b.data);
  writeFileSync(`${dir}/blobs/sha256/${img.manifestDigest.slice(7)}`, img.manifest);
  writeFileSync(`${dir}/oci-layout`, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(`${dir}/index.json`, JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: img.mediaType, digest: img.manifestDigest, size: img.manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
}

/** Pushes img to base (http://host:port) as name:tag with monolithic uploads. */
export async function pushImage(base: string, name: string, tag: string, img: TestImage, headers: Record<string, string> = {}): Promise<void> {
  for (const b of [img.config, ...img.layers]) {
    const r = await fetch(`${base}/v2/${name}/blobs/uploads/?digest=${b.digest}`, { method: 'POST', body: b.data, headers });
    if (r.status !== 201) throw new Error(`blob upload: ${r.status} ${await r.text()}`);
  }
  const r = await fetch(`${base}/v2/${name}/manifests/${tag}`, { method: 'PUT', body: img.manifest, headers: { ...headers, 'Content-Type': img.mediaType } });
  if (r.status !== 201) throw new Error(`manifest put: ${r.status} ${await r.text()}`);
}
