// The typed objects docker's formatters hand to templates (ContainerContext,
// imageContext, historyContext): each field is what `{{.Field}}` prints, and
// the header maps give the table column titles.

import type { ContainerSummary, HistoryItem, ImageSummary } from '../../client/types.ts';
import { GO_TYPE, HTML_ESCAPED_JSON } from './gofmt.ts';
import type { TypedObject } from './gofmt.ts';
import { goQuote } from './gofmt.ts';
import { createdSince, humanDuration, humanSize } from './units.ts';
import { ellipsis, goTimeString, rfc3339Local } from './display.ts';
import { displayablePorts } from './ports.ts';
import { familiarName, parseNormalizedNamed, truncateId } from '../options/reference.ts';

export const CONTAINER_HEADER: Record<string, string> = {
  ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED', Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Labels: 'LABELS',
  Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS', Platform: 'PLATFORM',
};

export const IMAGE_HEADER: Record<string, string> = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT', Size: 'SIZE', Containers: 'CONTAINERS', VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE',
};

export const HISTORY_HEADER: Record<string, string> = {
  ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT',
};

export interface ContainerContextOptions {
  trunc: boolean;
  now?: number;
  /** Called when a template reads .Size (docker then asks the daemon for sizes). */
  onSize?: () => void;
}

/** containerImage's answers by image and ID: a list of 1,000 containers names a few images, each parsed once. */
const imageCells = new Map<string, string>();

/** Docker's ContainerContext.Image: a short ID, or the reference without its digest when truncating. */
function containerImage(c: ContainerSummary, trunc: boolean): string {
  if (!c.Image) return '<no image>';
  if (!trunc) return c.Image;
  const key = `${c.Image}\0${c.ImageID ?? ''}`;
  let cell = imageCells.get(key);
  if (cell === undefined) {
    cell = truncatedImage(c);
    imageCells.set(key, cell);
  }
  return cell;
}

function truncatedImage(c: ContainerSummary): string {
  const t = truncateId(c.ImageID ?? '');
  if (t === truncateId(c.Image)) return t;
  try {
    const ref = parseNormalizedNamed(c.Image);
    return ref.tag ? `${familiarName(ref)}:${ref.tag}` : familiarName(ref);
  } catch { /* not a reference: print as is */ }
  return c.Image;
}

function containerNames(c: ContainerSummary, trunc: boolean): string {
  let names = (c.Names ?? []).map((n) => n.slice(1));
  if (trunc) {
    // Legacy link names contain a "/"; the container's own name does not.
    const own = names.find((n) => n.split('/').length === 1);
    if (own !== undefined) names = [own];
  }
  return names.join(',');
}

export function containerContext(c: ContainerSummary, opts: ContainerContextOptions): TypedObject {
  const now = opts.now ?? Date.now();
  const labels = c.Labels ?? null;
  const ctx: TypedObject = {
    [GO_TYPE]: '*formatter.ContainerContext',
    [HTML_ESCAPED_JSON]: true,
    Command: goQuote(opts.trunc ? ellipsis(c.Command ?? '', 20) : c.Command ?? ''),
    // Formatted when read: a date in the local zone costs more than the rest of the row, and ps's default table has none.
    get CreatedAt() { return goTimeString(c.Created); },
    ID: opts.trunc ? truncateId(c.Id) : c.Id,
    Image: containerImage(c, opts.trunc),
    Labels: labels ? Object.entries(labels).map(([k, v]) => `${k}=${v}`).sort().join(',') : '',
    Label: (name: unknown) => (labels && typeof name === 'string' ? labels[name] ?? '' : ''),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Mounts: (c.Mounts ?? []).map((m) => {
      const name = m.Name || m.Source || '';
      return opts.trunc ? ellipsis(name, 15) : name;
    }).join(','),
    Names: containerNames(c, opts.trunc),
    Networks: c.NetworkSettings?.Networks ? Object.keys(c.NetworkSettings.Networks).sort().join(',') : '',
    Platform: null,
    Ports: displayablePorts(c.Ports),
    RunningFor: `${humanDuration(now - c.Created * 1000)} ago`,
    State: c.State ?? '',
    Status: c.Status ?? '',
  };
  const size = () => {
    const rw = humanSize(c.SizeRw ?? 0);
    return (c.SizeRootFs ?? 0) > 0 ? `${rw} (virtual ${humanSize(c.SizeRootFs ?? 0)})` : rw;
  };
  Object.defineProperty(ctx, 'Size', {
    enumerable: true,
    get: () => { opts.onSize?.(); return size(); },
  });
  return ctx;
}

export interface ImageRow {
  image: ImageSummary;
  repo: string;
  tag: string;
  digest: string;
}

export function imageContext(row: ImageRow, trunc: boolean, now = Date.now()): TypedObject {
  const i = row.image;
  const shared = i.SharedSize ?? -1;
  return {
    [GO_TYPE]: '*formatter.imageContext',
    [HTML_ESCAPED_JSON]: true,
    Containers: (i.Containers ?? -1) === -1 ? 'N/A' : String(i.Containers),
    CreatedAt: goTimeString(i.Created),
    CreatedSince: createdSince(i.Created, now),
    Digest: row.digest,
    ID: trunc ? truncateId(i.Id) : i.Id,
    Repository: row.repo,
    SharedSize: shared === -1 ? 'N/A' : humanSize(shared, 4),
    Size: humanSize(i.Size),
    Tag: row.tag,
    UniqueSize: i.Size === -1 || shared === -1 ? 'N/A' : humanSize(i.Size - shared, 4),
    VirtualSize: humanSize(i.Size, 4),
  };
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

/** One row per repository:tag (and per digest with --digests), as docker's imageFormat. */
export function imageRows(images: readonly ImageSummary[], showDigests: boolean, formatUsesDigest: boolean): ImageRow[] {
  const rows: ImageRow[] = [];
  const needDigest = showDigests || formatUsesDigest;
  for (const image of images) {
    if (isDangling(image)) {
      rows.push({ image, repo: '<none>', tag: '<none>', digest: '<none>' });
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const s of image.RepoTags ?? []) {
      try {
        const ref = parseNormalizedNamed(s);
        if (ref.tag) {
          const name = familiarName(ref);
          repoTags.set(name, [...(repoTags.get(name) ?? []), ref.tag]);
        }
      } catch { /* skip unparsable */ }
    }
    for (const s of image.RepoDigests ?? []) {
      try {
        const ref = parseNormalizedNamed(s);
        if (ref.digest) {
          const name = familiarName(ref);
          repoDigests.set(name, [...(repoDigests.get(name) ?? []), ref.digest]);
        }
      } catch { /* skip unparsable */ }
    }
    for (const [repo, tags] of repoTags) {
      let digests = repoDigests.get(repo) ?? [];
      repoDigests.delete(repo);
      if (!needDigest) digests = [];
      for (const tag of tags) {
        if (digests.length === 0) rows.push({ image, repo, tag, digest: '<none>' });
        else for (const digest of digests) rows.push({ image, repo, tag, digest });
      }
    }
    for (const [repo, digests] of repoDigests) {
      if (showDigests) for (const digest of digests) rows.push({ image, repo, tag: '<none>', digest });
      else rows.push({ image, repo, tag: '<none>', digest: '' });
    }
  }
  return rows;
}

const EPOCH_2000 = Date.UTC(2000, 0, 1) / 1000;

export function historyContext(h: HistoryItem, trunc: boolean, human: boolean, now = Date.now()): TypedObject {
  const createdAt = rfc3339Local(h.Created);
  const createdBy = (h.CreatedBy ?? '').replace(/\t/g, ' ');
  return {
    [GO_TYPE]: '*image.historyContext',
    [HTML_ESCAPED_JSON]: true,
    Comment: h.Comment ?? '',
    CreatedAt: createdAt,
    CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
    CreatedSince: !human ? createdAt : h.Created <= EPOCH_2000 ? 'N/A' : createdSince(h.Created, now),
    ID: trunc ? truncateId(h.Id) : h.Id,
    Size: human ? humanSize(h.Size) : String(h.Size),
  };
}
