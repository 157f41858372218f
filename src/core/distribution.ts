// What moves between registries, the engine and archives: descriptors,
// image manifests and indexes, in their OCI and Docker schema2 spellings.
// The registry server validates what is pushed with parseManifest(); the
// engine's pull reads what it fetches with the same function, so both sides
// agree on what a manifest is.

import { invalid } from './errors.ts';

export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

/** What a client sends in Accept to get any manifest kind berth understands. */
export const MANIFEST_ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ');

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export type AnyManifest = ImageManifest | ImageIndex;

const MANIFEST_TYPES = new Set<string>([MT.dockerManifest, MT.ociManifest]);
const INDEX_TYPES = new Set<string>([MT.dockerList, MT.ociIndex]);

export const isManifestType = (mt: string): boolean => MANIFEST_TYPES.has(mt) || INDEX_TYPES.has(mt);
export const isIndexType = (mt: string): boolean => INDEX_TYPES.has(mt);

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

function descriptor(v: unknown, where: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (!d || typeof d !== 'object') throw invalid(`${where}: not a descriptor`);
  if (typeof d.mediaType !== 'string' || !d.mediaType) throw invalid(`${where}: mediaType missing`);
  if (typeof d.digest !== 'string' || !DIGEST.test(d.digest)) throw invalid(`${where}: invalid digest ${JSON.stringify(d.digest)}`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw invalid(`${where}: invalid size ${JSON.stringify(d.size)}`);
  return d as Descriptor;
}

/**
 * Parses a manifest or index. contentType is the HTTP Content-Type it came
 * with (empty if none); it must agree with the body's own mediaType.
 * Throws invalid_argument naming what is wrong; schema1 is refused.
 */
export function parseManifest(body: Buffer | string, contentType = ''): AnyManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString());
  } catch (err) {
    throw invalid(`manifest is not valid JSON: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw invalid('manifest is not a JSON object');
  const ct = contentType.split(';')[0]!.trim().toLowerCase();
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : '';
  if (doc.schemaVersion === 1 || ct === MT.dockerSchema1 || ct === MT.dockerSchema1Signed) {
    throw invalid('Docker schema1 manifests are not supported');
  }
  if (doc.schemaVersion !== 2) throw invalid(`unsupported schemaVersion ${JSON.stringify(doc.schemaVersion)}`);
  if (declared && ct && isManifestType(ct) && declared !== ct) {
    throw invalid(`mediaType in manifest (${declared}) does not match Content-Type (${ct})`);
  }
  let mediaType = declared || (isManifestType(ct) ? ct : '');
  if (!mediaType) mediaType = Array.isArray(doc.manifests) ? MT.ociIndex : MT.ociManifest;
  if (!isManifestType(mediaType)) throw invalid(`unsupported manifest media type ${mediaType}`);
  const common = {
    mediaType,
    ...(doc.subject !== undefined ? { subject: descriptor(doc.subject, 'subject') } : {}),
    ...(typeof doc.artifactType === 'string' ? { artifactType: doc.artifactType } : {}),
    ...(doc.annotations && typeof doc.annotations === 'object' ? { annotations: doc.annotations as Record<string, string> } : {}),
  };
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw invalid('index has no manifests array');
    return { kind: 'index', ...common, manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)) };
  }
  if (doc.manifests !== undefined) throw invalid('image manifest must not have a manifests field');
  const layers = doc.layers ?? [];
  if (!Array.isArray(layers)) throw invalid('layers is not an array');
  return {
    kind: 'manifest', ...common,
    config: descriptor(doc.config, 'config'),
    layers: layers.map((l, i) => descriptor(l, `layers[${i}]`)),
  };
}

/** The descriptor's artifact type as the referrers API reports it. */
export function artifactTypeOf(m: AnyManifest): string | undefined {
  if (m.artifactType) return m.artifactType;
  return m.kind === 'manifest' ? m.config.mediaType : undefined;
}

/** Layer compression from its media type (empty when the type says nothing). */
export function layerCompression(mediaType: string): 'gzip' | 'zstd' | 'none' | '' {
  if (mediaType === MT.dockerLayer || mediaType === MT.ociLayerGzip || mediaType === MT.dockerForeignLayer) return 'gzip';
  if (mediaType === MT.ociLayerZstd) return 'zstd';
  if (mediaType === MT.ociLayer) return 'none';
  return '';
}
