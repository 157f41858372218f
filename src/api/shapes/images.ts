// Images on the wire: ImageSummary (`docker images`), ImageInspect,
// history entries and removal reports, with the per-version differences
// dockerd applies (VirtualSize before 1.44, "<none>" placeholders before
// 1.43, the legacy Config fields before 1.52).

import type { HistoryEntry, ImageRecord, RemovedImage } from '../../core/image.ts';
import { unixSeconds } from '../time.ts';
import { versionBelow } from '../version.ts';

export function toImageSummary(img: ImageRecord, version: string): Record<string, unknown> {
  let repoTags = img.tags;
  let repoDigests = img.digests;
  if (versionBelow(version, '1.43') && repoTags.length === 0 && repoDigests.length === 0) {
    repoTags = ['<none>:<none>'];
    repoDigests = ['<none>@<none>'];
  }
  return {
    Containers: -1,
    Created: unixSeconds(img.created),
    Id: img.id,
    Labels: img.config.config?.Labels ?? {},
    ParentId: img.parent,
    RepoDigests: repoDigests,
    RepoTags: repoTags,
    SharedSize: -1,
    Size: img.size,
    ...(versionBelow(version, '1.44') ? { VirtualSize: img.size } : {}),
  };
}

// Before 1.50 the image Config was docker's whole container Config; these
// are the fields such clients expect to find even when empty.
const LEGACY_CONFIG_149: Record<string, unknown> = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
  Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null,
  WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null,
};
const LEGACY_CONFIG_150: Record<string, unknown> = {
  Cmd: null, Entrypoint: null, Env: null, Labels: null, OnBuild: null, User: '', Volumes: null, WorkingDir: '',
};

/** The image's comment: dockerd keeps it in the config; berth's is the newest history entry's. */
function comment(img: ImageRecord): string {
  const h = img.config.history ?? [];
  return h.length ? (h[h.length - 1]!.comment ?? '') : '';
}

export function toImageInspect(img: ImageRecord, version: string, driver: string): Record<string, unknown> {
  const runConfig: Record<string, unknown> = { ...(img.config.config ?? {}) };
  const old = versionBelow(version, '1.52');
  const config = old
    ? { ...(versionBelow(version, '1.50') ? LEGACY_CONFIG_149 : LEGACY_CONFIG_150), ...runConfig }
    : runConfig;
  const out: Record<string, unknown> = {
    Id: img.id,
    RepoTags: img.tags,
    RepoDigests: img.digests,
  };
  if (old || img.parent) out.Parent = img.parent;
  const c = comment(img);
  if (old || c) out.Comment = c;
  out.Created = img.config.created ?? img.created;
  if (versionBelow(version, '1.45')) {
    out.Container = '';
    out.ContainerConfig = LEGACY_CONFIG_149;
  }
  if (old) out.DockerVersion = '';
  if (old || img.config.author) out.Author = img.config.author ?? '';
  out.Config = config;
  out.Architecture = img.config.architecture;
  if (img.config.variant) out.Variant = img.config.variant;
  out.Os = img.config.os;
  out.Size = img.size;
  if (versionBelow(version, '1.44')) out.VirtualSize = img.size;
  out.GraphDriver = { Data: {}, Name: driver };
  out.RootFS = { Type: 'layers', ...(img.config.rootfs.diff_ids.length ? { Layers: img.config.rootfs.diff_ids } : {}) };
  out.Metadata = { LastTagTime: '0001-01-01T00:00:00Z' };
  return out;
}

export function toHistory(entries: readonly HistoryEntry[]): Record<string, unknown>[] {
  return entries.map((e) => ({
    Id: e.id,
    Created: e.created,
    CreatedBy: e.createdBy,
    Tags: e.tags.length ? e.tags : null,
    Size: e.size,
    Comment: e.comment,
  }));
}

export function toRemoved(list: readonly RemovedImage[]): Record<string, string>[] {
  return list.map((r): Record<string, string> => (r.untagged !== undefined ? { Untagged: r.untagged } : { Deleted: r.deleted ?? '' }));
}
