/**
 * Newline framing for byte streams (PROTOCOL.md section 6: `JSON.stringify` never
 * emits a raw line break, so a stream transport frames by `\n`). Pure: no I/O.
 *
 * A line longer than `maxLineBytes` is never buffered whole: the splitter
 * switches to discarding as soon as the partial line passes the limit and
 * resumes at the next newline, so the connection keeps working.
 */

const LF = 0x0a;
const CR = 0x0d;

/** Called for every complete line; return `false` to stop processing the current chunk. */
export type LineHandler = (line: Buffer) => boolean | void;
/** Called once per oversized line, when it passes the limit, with the bytes seen so far. */
export type OversizedHandler = (bytes: number) => void;

/** Splits a byte stream into lines, bounded by `maxLineBytes`. @example
 * {@includeCode ../../docs/api-examples/line-splitter.ts#class} */
export class LineSplitter {
  private parts: Buffer[] = [];
  private partsLength = 0;
  private discarding = false;
  /** Line ends (newlines) seen so far, empty and oversized lines included. */
  lineEnds = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: LineHandler,
    private readonly onOversized: OversizedHandler,
  ) {}

  /** Bytes held for an incomplete line (never more than `maxLineBytes`). */
  get buffered(): number {
    return this.partsLength;
  }

  /** True while the rest of an oversized line is being skipped. */
  get isDiscarding(): boolean {
    return this.discarding;
  }

  /** Feed one chunk. Returns `false` when a handler asked to stop. @example
   * {@includeCode ../../docs/api-examples/line-splitter.ts#class} */
  push(chunk: Buffer): boolean {
    let start = 0;
    const max = this.maxLineBytes;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) break;
      let line: Buffer | undefined;
      if (this.discarding) {
        // The end of a line already counted as oversized: skip it.
        this.discarding = false;
      } else if (this.partsLength > 0) {
        const total = this.partsLength + (nl - start);
        if (total > max) this.onOversized(total);
        else {
          this.parts.push(chunk.subarray(start, nl));
          line = Buffer.concat(this.parts, total);
        }
        this.parts = [];
        this.partsLength = 0;
      } else if (nl - start > max) this.onOversized(nl - start);
      else line = chunk.subarray(start, nl);
      start = nl + 1;
      this.lineEnds++;
      if (line !== undefined) {
        // Tolerate CRLF (telnet, netcat -C) and skip empty lines.
        const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
        if (end > 0 && this.onLine(end === line.length ? line : line.subarray(0, end)) === false)
          return false;
      }
    }
    const rest = chunk.length - start;
    if (rest === 0 || this.discarding) return true;
    if (this.partsLength + rest > max) {
      // Past the limit without a newline: drop what is held and skip to the next newline.
      const seen = this.partsLength + rest;
      this.parts = [];
      this.partsLength = 0;
      this.discarding = true;
      this.onOversized(seen);
      return true;
    }
    // Copy a small tail so it does not pin the whole chunk in memory.
    const tail = chunk.subarray(start);
    this.parts.push(rest * 2 < chunk.length ? Buffer.from(tail) : tail);
    this.partsLength += rest;
    return true;
  }

  /** Forget any partial line. @example
   * {@includeCode ../../docs/api-examples/line-splitter.ts#class} */
  reset(): void {
    this.parts = [];
    this.partsLength = 0;
    this.discarding = false;
  }
}
