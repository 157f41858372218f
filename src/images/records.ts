// Conversions between what metadata stores and what the engine sees, and
// the content-addressed identities of images (chain IDs, manifests).

import { createHash } from 'node:crypto';
import { MT, parseManifest } from '../core/distribution.ts';
import type { ImageConfigFile, ImageRecord } from '../core/image.ts';
import type { Database } from '../stores/metadata.ts';
import type { ImageRow, LayerRecord } from '../stores/metadata/images.ts';
import { familiarString, parseNormalized } from './reference.ts';

export const MEDIA_TYPE_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_TYPE_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MEDIA_TYPE_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev ? `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}` : d);
  }
  return out;
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface OciManifest {
  schemaVersion: 2;
  mediaType: string;
  config: { mediaType: string; digest: string; size: number };
  layers: Array<{ mediaType: string; digest: string; size: number }>;
}

export function buildManifest(config: { digest: string; size: number }, layers: LayerRecord[]): OciManifest {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_MANIFEST,
    config: { mediaType: MEDIA_TYPE_CONFIG, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
}

export interface ServedManifest { digest: string; mediaType: string; bytes: Buffer }

/**
 * The manifest an image is saved or served with: the one it was pulled or
 * built with (stored) when that names exactly its stored layers and
 * config, else one generated from them (OCI, deterministic: the same image
 * always gets the same bytes and digest).
 */
export function imageManifest(row: ImageRow, stored: Buffer | null, configSize: number): ServedManifest {
  if (stored) {
    try {
      const m = parseManifest(stored, '');
      if (m.kind === 'manifest' && m.config.digest === row.id && m.layers.length === row.layers.length
        && m.layers.every((l, i) => l.digest === row.layers[i]!.digest)) {
        return { digest: row.manifestDigest, mediaType: m.mediaType, bytes: stored };
      }
    } catch { /* not a manifest: generate one */ }
  }
  const bytes = Buffer.from(JSON.stringify(buildManifest({ digest: row.id, size: configSize }, row.layers)));
  return { digest: sha256(bytes), mediaType: MT.ociManifest, bytes };
}

/** Familiar form of a stored (fully normalized) reference. */
export function familiar(stored: string): string {
  try {
    return familiarString(parseNormalized(stored));
  } catch {
    return stored;
  }
}

export function toRecord(db: Database, row: ImageRow): ImageRecord {
  return {
    id: row.id,
    manifestDigest: row.manifestDigest,
    created: row.created,
    size: row.size,
    config: row.config,
    chainId: row.chainId,
    tags: db.images.tagsOf(row.id).map(familiar),
    digests: db.images.digestsOf(row.id).map(familiar),
    parent: row.parent,
  };
}

/** Everything an image keeps alive: its layers' chain IDs (bottom first) and its blobs. */
export function imageRoots(row: ImageRow): { chainIds: string[]; blobs: string[] } {
  const cfg = row.config as ImageConfigFile;
  return {
    chainIds: chainIds(cfg.rootfs?.diff_ids ?? []),
    blobs: [row.id, row.manifestDigest, ...row.layers.map((l) => l.digest)],
  };
}

/** Go's GOARCH for this process (Docker reports these names). */
export function goArch(arch: string = process.arch): string {
  const map: Record<string, string> = {
    x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x',
    riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle',
  };
  return map[arch] ?? arch;
}
