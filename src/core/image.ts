// Images: read-only layered templates.
//
// Lifecycle of an image in berth (containerd's split):
//   1. A layer arrives as a tar stream (import, seed, later pull/build). Its
//      uncompressed sha256 is the layer's diffID; the compressed blob goes to
//      the content store under its own digest.
//   2. The snapshotter applies the layer on top of its parent, keyed by the
//      chain ID: chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)).
//   3. The image config (OCI image config JSON) is written to the content
//      store; its digest is the image ID. A manifest naming config + layers
//      is written too, so push/save can ship the image unchanged.
//   4. Metadata records the image and the tags pointing at it. Removing the
//      last tag of an image no container uses deletes the image; blobs and
//      snapshots no image reaches are garbage-collected after the commit.

/** OCI image config (application/vnd.oci.image.config.v1+json), as stored. */
export interface ImageConfigFile {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ImageRunConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: ImageHistoryItem[];
}

/** The `config` part of an image config: defaults for containers. */
export interface ImageRunConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  OnBuild?: string[] | null;
  Shell?: string[];
  /** Docker's HealthConfig as the image config stores it (durations in nanoseconds). */
  Healthcheck?: {
    Test?: string[] | null; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number;
  } | null;
}

export interface ImageHistoryItem {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** What berth knows about one image (a metadata row plus its config). */
export interface ImageRecord {
  id: string;              // "sha256:<hex>" of the config blob
  manifestDigest: string;  // "sha256:<hex>" of the manifest blob
  created: string;         // RFC 3339
  size: number;            // sum of uncompressed layer sizes
  config: ImageConfigFile;
  chainId: string | null;  // top layer's chain ID; null for an image with no layers
  tags: string[];          // normalized "name:tag" references, e.g. "busybox:latest"
  digests: string[];       // "name@sha256:..." repo digests (from pull/push)
  parent: string;          // "" unless built locally
}

/** One entry of `docker history`, newest first. */
export interface HistoryEntry {
  id: string;          // image ID for the top entry, "<missing>" otherwise
  created: number;     // unix seconds
  createdBy: string;
  tags: string[];
  size: number;
  comment: string;
}

export interface ImageFilters {
  reference?: string[];
  dangling?: boolean;
  label?: string[];       // "key" or "key=value"
  before?: string;
  since?: string;
}

export interface ImportOptions {
  /** "repo" or "repo:tag" to tag the result with; empty for an untagged import. */
  reference?: string;
  /** Dockerfile-style instructions applied to the config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL. */
  changes?: string[];
  message?: string;
  platform?: string;
}

export interface RemovedImage { untagged?: string; deleted?: string }

/** `docker image prune`: what may go (src/images/prune.ts says how). */
export interface ImagePruneOptions {
  /** Only untagged images (docker's default); false with -a (dangling=false). */
  danglingOnly: boolean;
  /** Unix milliseconds: images created after it are kept. */
  until?: number;
  /** "key" or "key=value" that must match. */
  labels?: string[];
  /** "key" or "key=value" that must not match. */
  labelsNot?: string[];
}

export interface ImagePruneReport {
  deleted: RemovedImage[];
  /** Unpacked bytes of the layers removed. */
  spaceReclaimed: number;
}

/** The engine's image service, as the API and the container service see it. */
export interface ImageService {
  list(opts: { all?: boolean; filters?: ImageFilters }): Promise<ImageRecord[]>;
  /** By ID, short ID prefix (>= 1 hex char, unambiguous), "name", "name:tag" or "name@digest". Throws not_found "No such image: <ref>". */
  resolve(ref: string): Promise<ImageRecord>;
  tag(source: string, repo: string, tag?: string): Promise<void>;
  remove(ref: string, opts: { force?: boolean; noprune?: boolean }): Promise<RemovedImage[]>;
  /** Removes unused images; emits untag/delete per image and one `prune` event. */
  prune(opts: ImagePruneOptions): Promise<ImagePruneReport>;
  import(src: NodeJS.ReadableStream, opts: ImportOptions): Promise<ImageRecord>;
  history(ref: string): Promise<HistoryEntry[]>;
  /** Seeds busybox:latest from the host's static busybox when no such tag exists. */
  seedDefault(): Promise<void>;
  /** `system df`'s images: layers counted once, top-level images with their shared bytes and container counts. */
  diskUsage(containersOf: (imageId: string) => number): Promise<import('./disk-usage.ts').ImageDiskUsage>;
  /** The chain of layer directories for a snapshot, used by the container service. */
  readonly snapshotter: import('./snapshot.ts').Snapshotter;
}
