// Recently served manifest bodies, by digest, bounded in bytes (least
// recently used out first). Content under a digest never changes, and every
// GET checks the index before it looks here, so an entry can only be
// served where the manifest is still linked. It saves the file open, read
// and close that otherwise dominate a manifest GET.

export class BodyCache {
  readonly #max: number;
  readonly #entries = new Map<string, Buffer>();
  #bytes = 0;

  constructor(maxBytes = 16 << 20) {
    this.#max = maxBytes;
  }

  get(digest: string): Buffer | undefined {
    const b = this.#entries.get(digest);
    if (b) {
      this.#entries.delete(digest);
      this.#entries.set(digest, b);
    }
    return b;
  }

  set(digest: string, body: Buffer): void {
    if (body.length > this.#max / 4 || this.#entries.has(digest)) return;
    this.#entries.set(digest, body);
    this.#bytes += body.length;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#max) break;
      this.#entries.delete(k);
      this.#bytes -= v.length;
    }
  }

  delete(digest: string): void {
    const b = this.#entries.get(digest);
    if (!b) return;
    this.#entries.delete(digest);
    this.#bytes -= b.length;
  }
}
