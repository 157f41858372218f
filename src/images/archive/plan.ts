// What an archive read by read.ts holds, as images to load. Three layouts
// are understood:
//   - Docker's manifest.json (every `docker save`: 20.10's `<id>/layer.tar`
//     + `<hex>.json`, and 25+'s paths into `blobs/`); when the archive is
//     also an OCI layout (25+, berth), index.json supplies each image's
//     manifest so a loaded image keeps its manifest digest;
//   - a plain OCI image layout (index.json, no manifest.json: skopeo's
//     oci-archive, buildkit's oci exporter): names from the
//     io.containerd.image.name or org.opencontainers.image.ref.name
//     annotations; an index inside is resolved to this platform.
// Everything is checked here, before anything is applied: a bad archive is
// an invalid_argument naming the file and what is wrong with it.

import { type AnyManifest, type Descriptor, type ImageManifest, parseManifest } from '../../core/distribution.ts';
import { invalid } from '../../core/errors.ts';
import type { ImageConfigFile } from '../../core/image.ts';
import type { ContentReader } from '../../stores/content.ts';
import { goArch, sha256 } from '../records.ts';
import { parseNormalized, type Reference } from '../reference.ts';
import type { ArchiveFile, ArchiveFiles } from './read.ts';

export interface PlannedLayer { digest: string; size: number; path: string }

export interface PlannedImage {
  id: string;
  configBytes: Buffer;
  config: ImageConfigFile;
  layers: PlannedLayer[];
  /** Tagged references, normalized. */
  tags: Reference[];
  /** The archive's own manifest for this image (OCI layouts), kept when its layers are kept as they are. */
  manifest?: { digest: string; bytes: Buffer; mediaType: string };
}

const MAX_META = 32 << 20;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

async function bytesOf(content: ContentReader, f: ArchiveFile, what: string): Promise<Buffer> {
  if (f.kind === 'meta') return f.bytes;
  if (f.size > MAX_META) throw invalid(`invalid image archive: ${what} is ${f.size} bytes, too large`);
  return content.readBlob(f.digest);
}

async function jsonFile(content: ContentReader, a: ArchiveFiles, path: string): Promise<{ bytes: Buffer; value: unknown } | null> {
  const f = a.lookup(path);
  if (!f) return null;
  const bytes = await bytesOf(content, f, path);
  try {
    return { bytes, value: JSON.parse(bytes.toString()) };
  } catch (err) {
    throw invalid(`invalid image archive: ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** An OCI blob by digest; its bytes must hash to that digest. */
function blobByDigest(a: ArchiveFiles, digest: string, what: string): ArchiveFile & { kind: 'blob' } | { kind: 'meta'; bytes: Buffer } {
  if (!DIGEST.test(digest)) throw invalid(`invalid image archive: ${what} has an invalid digest ${JSON.stringify(digest)}`);
  const path = `blobs/${digest.replace(':', '/')}`;
  const f = a.lookup(path);
  if (!f) throw invalid(`invalid image archive: ${what} ${digest} is not in the archive (${path})`);
  const actual = f.kind === 'blob' ? f.digest : sha256(f.bytes);
  if (actual !== digest) throw invalid(`invalid image archive: ${path} does not match its digest (it hashes to ${actual})`);
  return f;
}

function parseConfig(bytes: Buffer, what: string, layerCount: number): ImageConfigFile {
  let c: ImageConfigFile;
  try {
    c = JSON.parse(bytes.toString());
  } catch (err) {
    throw invalid(`invalid image archive: image config ${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw invalid(`invalid image archive: image config ${what} is not a JSON object`);
  const ids = c.rootfs?.diff_ids;
  if (!Array.isArray(ids) || ids.some((d) => typeof d !== 'string' || !DIGEST.test(d))) {
    throw invalid(`invalid image archive: image config ${what} has no valid rootfs.diff_ids`);
  }
  if (ids.length !== layerCount) {
    throw invalid(`invalid image archive: image config ${what} lists ${ids.length} layers (rootfs.diff_ids) but the archive gives ${layerCount}`);
  }
  if (c.os && c.os !== 'linux') throw invalid(`cannot load ${c.os} image on linux`);
  return c;
}

function tagOf(name: string, what: string): Reference {
  let r: Reference;
  try {
    r = parseNormalized(name);
  } catch (err) {
    throw invalid(`invalid image archive: ${what}: invalid reference "${name}": ${(err as Error).message}`);
  }
  if (r.digest) throw invalid(`invalid image archive: ${what}: "${name}" is a digest reference, not a tag`);
  return { domain: r.domain, path: r.path, tag: r.tag ?? 'latest' };
}

export async function planLoad(content: ContentReader, a: ArchiveFiles): Promise<PlannedImage[]> {
  const manifestJson = await jsonFile(content, a, 'manifest.json');
  const index = await jsonFile(content, a, 'index.json');
  if (manifestJson) return fromManifestJson(content, a, manifestJson.value, index?.value);
  if (index) return fromOciIndex(content, a, index.value);
  if (a.lookup('repositories')) {
    throw invalid('invalid image archive: only a "repositories" file (the pre-1.10 docker save format, not supported); expected manifest.json or index.json');
  }
  throw invalid('invalid image archive: no manifest.json or index.json (not a docker save or OCI image layout archive)');
}

async function fromManifestJson(content: ContentReader, a: ArchiveFiles, doc: unknown, index: unknown): Promise<PlannedImage[]> {
  if (!Array.isArray(doc)) throw invalid('invalid image archive: manifest.json is not a JSON array');
  if (doc.length === 0) throw invalid('invalid image archive: manifest.json lists no image');
  const ociManifests = index ? await manifestsByConfig(content, a, index) : new Map<string, { digest: string; bytes: Buffer; m: ImageManifest }>();
  const out: PlannedImage[] = [];
  for (const [i, item] of doc.entries()) {
    const where = `manifest.json[${i}]`;
    const e = item as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
    if (!e || typeof e !== 'object' || typeof e.Config !== 'string') throw invalid(`invalid image archive: ${where} has no Config`);
    if (!Array.isArray(e.Layers) || e.Layers.some((l) => typeof l !== 'string')) throw invalid(`invalid image archive: ${where}.Layers is not a list of paths`);
    if (e.RepoTags != null && (!Array.isArray(e.RepoTags) || e.RepoTags.some((t) => typeof t !== 'string'))) {
      throw invalid(`invalid image archive: ${where}.RepoTags is not a list of names`);
    }
    const cfgFile = a.lookup(e.Config);
    if (!cfgFile) throw invalid(`invalid image archive: ${where}: config ${e.Config} is not in the archive`);
    const configBytes = await bytesOf(content, cfgFile, e.Config);
    const layers = (e.Layers as string[]).map((p) => {
      const f = a.lookup(p);
      if (!f) throw invalid(`invalid image archive: ${where}: layer ${p} is not in the archive`);
      if (f.kind !== 'blob') throw invalid(`invalid image archive: ${where}: layer ${p} is not a layer tar`);
      return { digest: f.digest, size: f.size, path: p };
    });
    const config = parseConfig(configBytes, e.Config, layers.length);
    const id = sha256(configBytes);
    const om = ociManifests.get(id);
    const manifest = om && om.m.layers.length === layers.length && om.m.layers.every((l, j) => l.digest === layers[j]!.digest)
      ? { digest: om.digest, bytes: om.bytes, mediaType: om.m.mediaType } : undefined;
    out.push({
      id, configBytes, config, layers, ...(manifest ? { manifest } : {}),
      tags: ((e.RepoTags as string[] | null) ?? []).map((t) => tagOf(t, `${where}.RepoTags`)),
    });
  }
  return out;
}

/** index.json's image manifests by config digest (for manifest.json archives that are OCI layouts too). */
async function manifestsByConfig(content: ContentReader, a: ArchiveFiles, index: unknown) {
  const out = new Map<string, { digest: string; bytes: Buffer; m: ImageManifest }>();
  for (const { desc } of indexEntries(index, 'index.json')) {
    const r = await readManifest(content, a, desc, 'index.json').catch(() => null);
    if (r) out.set(r.m.config.digest, r);
  }
  return out;
}

function indexEntries(doc: unknown, what: string): Array<{ desc: Descriptor }> {
  let idx: AnyManifest;
  try {
    idx = parseManifest(Buffer.from(JSON.stringify(doc)), '');
  } catch (err) {
    throw invalid(`invalid image archive: ${what}: ${(err as Error).message}`);
  }
  if (idx.kind !== 'index') throw invalid(`invalid image archive: ${what} is not an image index`);
  return idx.manifests.map((desc) => ({ desc }));
}

async function readManifest(content: ContentReader, a: ArchiveFiles, desc: Descriptor, what: string): Promise<{ digest: string; bytes: Buffer; m: ImageManifest }> {
  const f = blobByDigest(a, desc.digest, `${what}: manifest`);
  const bytes = await bytesOf(content, f, desc.digest);
  let m: AnyManifest;
  try {
    m = parseManifest(bytes, '');
  } catch (err) {
    throw invalid(`invalid image archive: manifest ${desc.digest}: ${(err as Error).message}`);
  }
  if (m.kind === 'index') {
    const want = goArch();
    const pick = m.manifests.find((d) => d.platform?.os === 'linux' && d.platform.architecture === want);
    if (!pick) throw invalid(`invalid image archive: index ${desc.digest} has no image for linux/${want}`);
    return readManifest(content, a, pick, `index ${desc.digest}`);
  }
  return { digest: desc.digest, bytes, m };
}

async function fromOciIndex(content: ContentReader, a: ArchiveFiles, index: unknown): Promise<PlannedImage[]> {
  const byManifest = new Map<string, PlannedImage>();
  const entries = indexEntries(index, 'index.json');
  if (!entries.length) throw invalid('invalid image archive: index.json lists no image');
  for (const { desc } of entries) {
    const { digest, bytes, m } = await readManifest(content, a, desc, 'index.json');
    let img = byManifest.get(digest);
    if (!img) {
      const cfg = blobByDigest(a, m.config.digest, `manifest ${digest}: config`);
      const configBytes = await bytesOf(content, cfg, m.config.digest);
      const layers = m.layers.map((l, i) => {
        const f = blobByDigest(a, l.digest, `manifest ${digest}: layer ${i}`);
        if (f.kind !== 'blob') throw invalid(`invalid image archive: layer ${l.digest} is not a layer tar`);
        return { digest: f.digest, size: f.size, path: `blobs/${l.digest.replace(':', '/')}` };
      });
      img = {
        id: m.config.digest, configBytes, config: parseConfig(configBytes, m.config.digest, layers.length), layers,
        manifest: { digest, bytes, mediaType: m.mediaType }, tags: [],
      };
      byManifest.set(digest, img);
    }
    const ann = desc.annotations ?? {};
    const name = ann['io.containerd.image.name'] ?? fullReference(ann['org.opencontainers.image.ref.name']);
    if (name) img.tags.push(tagOf(name, `index.json annotation of ${digest}`));
  }
  return [...byManifest.values()];
}

/** org.opencontainers.image.ref.name names an image only when it is a whole reference, not a bare tag. */
function fullReference(s: string | undefined): string | undefined {
  if (!s || !/[/:]/.test(s)) return undefined;
  try {
    const r = parseNormalized(s);
    return r.tag && !r.digest ? s : undefined;
  } catch {
    return undefined;
  }
}
