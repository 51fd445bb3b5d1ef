/** One complete line of a file: its bytes (without the newline) and where the next line starts. */
export interface Line {
  readonly text: string;
  /** Offset just past its newline: the checkpoint once this line is settled. */
  readonly end: number;
  /** Byte offset where the line starts. */
  readonly start: number;
  /** Longer than the limit: `text` holds only its first bytes, the rest was never kept. */
  readonly overlong: boolean;
}

/**
 * Cuts the bytes of a file read in chunks into lines. Only complete lines come out: a last line
 * without its newline may still be being written, so it waits for the next read. A line over
 * `maxLineBytes` is not held whole (memory stays bounded): its first bytes are kept for the dead
 * letter and the rest is skipped up to its newline.
 */
export class LineSplitter {
  private carry: Buffer = Buffer.alloc(0);
  private carryStart: number;
  private overlong = false;
  private overlongHead = '';
  private overlongStart = 0;

  constructor(
    startOffset: number,
    private readonly maxLineBytes: number,
  ) {
    this.carryStart = startOffset;
  }

  /** Bytes read but not yet part of a complete line (for the lag and the next read's offset). */
  get pendingBytes(): number {
    return this.carry.length;
  }

  /** Feeds the next chunk (read at offset carryStart + pendingBytes) and returns the lines it completes. */
  push(chunk: Buffer): Line[] {
    const lines: Line[] = [];
    let buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let base = this.carryStart;
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) break;
      const end = base + nl + 1;
      if (this.overlong) {
        lines.push({ text: this.overlongHead, start: this.overlongStart, end, overlong: true });
        this.overlong = false;
        this.overlongHead = '';
      } else if (nl > this.maxLineBytes) {
        lines.push({ text: buf.subarray(0, Math.min(nl, 1024)).toString('utf8'), start: base, end, overlong: true });
      } else {
        lines.push({ text: buf.subarray(0, nl).toString('utf8'), start: base, end, overlong: false });
      }
      buf = buf.subarray(nl + 1);
      base = end;
    }
    if (buf.length > this.maxLineBytes && !this.overlong) {
      this.overlong = true;
      this.overlongStart = base;
      this.overlongHead = buf.subarray(0, 1024).toString('utf8');
    }
    if (this.overlong) {
      // Drop what is held of the over-long line; its start offset is no longer needed.
      base += buf.length;
      buf = Buffer.alloc(0);
    }
    this.carry = Buffer.from(buf);
    this.carryStart = base;
    return lines;
  }

  /** Offset of the next byte to read. */
  get readOffset(): number {
    return this.carryStart + this.carry.length;
  }
}
