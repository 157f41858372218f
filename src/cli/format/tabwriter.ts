// Go's text/tabwriter (the copy the docker CLI vendors), for the columns of
// `ps`, `images`, `history` and `version`. Text is cut into cells at tabs;
// a column block is a run of consecutive lines that have a cell in that
// column, and each block is as wide as its widest cell plus padding (at
// least minwidth). The last cell of a line is not aligned. A line without
// tabs ends every block.

interface Cell {
  text: string;
  width: number;
  htab: boolean;
}

export interface TabwriterOptions {
  minwidth: number;
  tabwidth: number;
  padding: number;
  padchar: string;
}

/** Display width: wide East Asian characters take two columns (go-runewidth). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c === 0 || (c < 32) || (c >= 0x7f && c < 0xa0)) continue;
    // No combining mark (Mn, Me) comes before U+0300: most text never builds the regex's Unicode sets (ICU, ~0.5 ms).
    if (c >= 0x300 && (/\p{Mn}|\p{Me}/u.test(ch) || c === 0x200b)) continue;
    w += isWide(c) ? 2 : 1;
  }
  return w;
}

function isWide(c: number): boolean {
  return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) ||
    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd);
}

export class TabWriter {
  #opts: TabwriterOptions;
  #lines: Cell[][] = [[]];
  #cell = '';
  #widths: number[] = [];
  #out: string[] = [];

  constructor(opts: Partial<TabwriterOptions> = {}) {
    this.#opts = { minwidth: 10, tabwidth: 1, padding: 3, padchar: ' ', ...opts };
  }

  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
      this.#cell += text.slice(start, i);
      start = i + 1;
      const ncells = this.#terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        this.#lines.push([]);
        if (ch === '\f' || ncells === 1) this.#flushLines();
      }
    }
    this.#cell += text.slice(start);
  }

  /** Formats what is buffered and returns all output so far. */
  flush(): string {
    if (this.#cell.length > 0) this.#terminateCell(false);
    this.#flushLines();
    const out = this.#out.join('');
    this.#out = [];
    return out;
  }

  #terminateCell(htab: boolean): number {
    const line = this.#lines[this.#lines.length - 1];
    line.push({ text: this.#cell, width: displayWidth(this.#cell), htab });
    this.#cell = '';
    return line.length;
  }

  #flushLines(): void {
    this.#format(0, this.#lines.length);
    this.#lines = [[]];
    this.#widths = [];
  }

  #format(line0: number, line1: number): void {
    const column = this.#widths.length;
    for (let self = line0; self < line1; self++) {
      if (column >= this.#lines[self].length - 1) continue;
      // A cell in this column starts a block: print what comes before it.
      this.#writeLines(line0, self);
      line0 = self;
      let width = this.#opts.minwidth;
      let discardable = true;
      for (; self < line1; self++) {
        const line = this.#lines[self];
        if (column >= line.length - 1) break;
        const c = line[column];
        width = Math.max(width, c.width + this.#opts.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      void discardable; // DiscardEmptyColumns is never set by docker
      this.#widths.push(width);
      this.#format(line0, self);
      this.#widths.pop();
      line0 = self;
    }
    this.#writeLines(line0, line1);
  }

  #writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.#lines[i];
      line.forEach((c, j) => {
        this.#out.push(c.text);
        if (j < this.#widths.length) this.#out.push(this.#opts.padchar.repeat(Math.max(0, this.#widths[j] - c.width)));
      });
      if (i + 1 === this.#lines.length) {
        // The last, incomplete line: its pending cell text follows as is.
        this.#out.push(this.#cell);
        this.#cell = '';
      } else {
        this.#out.push('\n');
      }
    }
  }
}

/** Aligns a whole text at once with docker's table settings (minwidth 10, padding 3). */
export function tabwrite(text: string, opts: Partial<TabwriterOptions> = {}): string {
  const tw = new TabWriter(opts);
  tw.write(text);
  return tw.flush();
}
