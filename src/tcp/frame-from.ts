/**
 * The top-level `from` of one inbound line, read without decoding the whole
 * frame: a TLS link checks every frame's `from` against the certificate's CN
 * before the router sees it. A scan over the bytes finds the top-level keys
 * (nested values and strings are skipped); anything it is unsure of (escapes
 * in a key or in a `from` value, a byte-order mark, odd structure) falls back
 * to the same strict UTF-8 decoding and `JSON.parse` the router's JSON codec
 * uses, so the two can never disagree on what `from` a frame carries.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const FROM = Buffer.from('from');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What the scan found: no top-level `from`, every top-level `from`'s string value, or "ask JSON.parse". */
type Scan = readonly string[] | 'unsure';

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function skipSpace(buf: Uint8Array, i: number): number {
  while (isSpace(buf[i])) i++;
  return i;
}

/** Index of the quote closing the string that opens at `start` (a quote), or -1. */
function stringEnd(buf: Buffer, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = buf.indexOf(QUOTE, i);
    if (q < 0) return -1;
    let backslashes = 0;
    while (buf[q - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q;
    i = q + 1;
  }
}

/** Index just past the value that starts at `i`, or -1. */
function valueEnd(buf: Buffer, i: number): number {
  const b = buf[i];
  if (b === QUOTE) {
    const e = stringEnd(buf, i);
    return e < 0 ? -1 : e + 1;
  }
  if (b === 0x7b || b === 0x5b) {
    let depth = 0;
    for (let j = i; j < buf.length; j++) {
      const c = buf[j];
      if (c === QUOTE) {
        j = stringEnd(buf, j);
        if (j < 0) return -1;
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // A number, true, false or null: up to the next separator.
  let j = i;
  while (j < buf.length && buf[j] !== 0x2c && buf[j] !== 0x7d && !isSpace(buf[j])) j++;
  return j === i ? -1 : j;
}

function hasBackslash(buf: Buffer, start: number, end: number): boolean {
  const k = buf.indexOf(BACKSLASH, start);
  return k >= 0 && k < end;
}

function isFromKey(buf: Buffer, start: number, end: number): boolean {
  return end - start === FROM.length && buf.compare(FROM, 0, FROM.length, start, end) === 0;
}

/** Scan one line for its top-level keys. */
function scan(buf: Buffer): Scan {
  const froms: string[] = [];
  let i = skipSpace(buf, 0);
  if (buf[i] !== 0x7b) return 'unsure';
  i = skipSpace(buf, i + 1);
  if (buf[i] === 0x7d) return skipSpace(buf, i + 1) === buf.length ? froms : 'unsure';
  for (;;) {
    if (buf[i] !== QUOTE) return 'unsure';
    const keyEnd = stringEnd(buf, i);
    if (keyEnd < 0 || hasBackslash(buf, i + 1, keyEnd)) return 'unsure';
    const isFrom = isFromKey(buf, i + 1, keyEnd);
    i = skipSpace(buf, keyEnd + 1);
    if (buf[i] !== 0x3a) return 'unsure';
    i = skipSpace(buf, i + 1);
    if (isFrom) {
      if (buf[i] !== QUOTE) return 'unsure';
      const e = stringEnd(buf, i);
      if (e < 0 || hasBackslash(buf, i + 1, e)) return 'unsure';
      froms.push(buf.toString('utf8', i + 1, e));
      i = e + 1;
    } else {
      const e = valueEnd(buf, i);
      if (e < 0) return 'unsure';
      i = e;
    }
    i = skipSpace(buf, i);
    if (buf[i] === 0x2c) {
      i = skipSpace(buf, i + 1);
      continue;
    }
    if (buf[i] !== 0x7d) return 'unsure';
    return skipSpace(buf, i + 1) === buf.length ? froms : 'unsure';
  }
}

/**
 * Does this line claim to come from a router other than `id`? True when the
 * frame, as the JSON codec would decode it, is an object with a top-level
 * `from` that is not exactly `id` (a non-string `from` included). A line that
 * is not a JSON object carries no `from`: false (the router drops it).
 */
export function claimsOtherFrom(line: Buffer, id: string): boolean {
  // No key can decode to "from" without the letters or an escape (most requests, responses, events).
  if (line.indexOf(FROM) < 0 && line.indexOf(BACKSLASH) < 0) return false;
  const found = scan(line);
  if (found !== 'unsure') return found.some((f) => f !== id);
  let o: unknown;
  try {
    o = JSON.parse(utf8.decode(line));
  } catch {
    return false;
  }
  return (
    typeof o === 'object' &&
    o !== null &&
    Object.hasOwn(o, 'from') &&
    (o as { from: unknown }).from !== id
  );
}
