/**
 * The bus's presence messages (docs/nats.md "Presence"): their format and
 * parsing. Every member says `hello` and `bye` to all (`<prefix>.p.<id>`);
 * heartbeats go only to the aggregators (`<prefix>.h.<id>`), the two members
 * with the lowest router ids, which publish a roster each heartbeat interval
 * (`<prefix>.r.<id>`) to all: about 4N deliveries per interval, not N(N−1).
 */
import { isValidRouterId } from '../base/names.js';

/** How many members aggregate heartbeats into rosters: the lowest ids. @internal */
export const AGGREGATORS = 2;

/** `{"v":1,"i":instance}`, with `"hello":true` on (re)connect and `"bye":true` on close. @internal */
export interface Presence {
  i: string;
  hello: boolean;
  bye: boolean;
}

/** One roster entry: a member the aggregator heard itself `age` ms before publishing. @internal */
export interface RosterEntry {
  id: string;
  instance: string;
  age: number;
}

/** A roster: its sender's instance and what it heard, `[id, instance, age]` each. @internal */
export interface Roster {
  i: string;
  r: readonly (readonly [string, string, number])[];
}

const decoder = new TextDecoder();

function isInstance(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= 64;
}

/** A hello, a goodbye or a heartbeat, or `undefined` when it is not one. @internal */
export function parsePresence(data: Uint8Array): Presence | undefined {
  if (data.length > 512) return undefined;
  try {
    const o = JSON.parse(decoder.decode(data)) as Record<string, unknown>;
    if (o === null || typeof o !== 'object' || o.v !== 1 || !isInstance(o.i)) return undefined;
    return { i: o.i, hello: o.hello === true, bye: o.bye === true };
  } catch {
    return undefined;
  }
}

/** A presence message's text. @internal */
export function formatPresence(instance: string, what: 'hello' | 'bye' | undefined): string {
  return what === undefined
    ? `{"v":1,"i":"${instance}"}`
    : `{"v":1,"i":"${instance}","${what}":true}`;
}

/** The entries of a roster (or of its head's late list) when each is `[id, instance, age]`. */
function entriesOk(r: unknown, maxEntries: number, known: (id: string) => boolean): boolean {
  if (!Array.isArray(r) || r.length > maxEntries) return false;
  // Checked as parsed, not copied: every member parses a roster of N entries now and then.
  for (const e of r as unknown[]) {
    if (!Array.isArray(e) || e.length !== 3) return false;
    const [id, instance, age] = e as [unknown, unknown, unknown];
    // A member's id was checked when it became one: only the others' are (most of an idle roster's).
    if (typeof id !== 'string' || !(known(id) || isValidRouterId(id)) || !isInstance(instance))
      return false;
    if (typeof age !== 'number' || !Number.isFinite(age) || age < 0) return false;
  }
  return true;
}

/**
 * A roster of at most `maxEntries` entries (its second line when it has a
 * head), or `undefined` when it is not one (too big, a bad field): entries
 * are `[id, instance, age]`. `known`: ids already checked (members), not
 * checked again.
 * @internal
 */
export function parseRoster(
  data: Uint8Array,
  maxEntries: number,
  known: (id: string) => boolean = () => false,
): Roster | undefined {
  if (data.length > 256 * (maxEntries + 1)) return undefined;
  const nl = data.indexOf(NEWLINE);
  try {
    const o = JSON.parse(decoder.decode(nl < 0 ? data : data.subarray(nl + 1))) as Record<
      string,
      unknown
    >;
    if (o === null || typeof o !== 'object' || o.v !== 1 || !isInstance(o.i)) return undefined;
    if (!entriesOk(o.r, maxEntries, known)) return undefined;
    return { i: o.i, r: o.r as [string, string, number][] };
  } catch {
    return undefined;
  }
}

/**
 * A roster's head (its first line): the sender's instance, the digest of
 * the members it lists and of itself (`RosterDigest`), `a`: the oldest age
 * of the entries not late, and `l`: the late entries (older than
 * `lateAfterMs`). A member whose own members and instances give the same
 * digest reads only this: every member but the late ones was heard at most
 * `a` ms before. `undefined`: no head (a roster of one line) or a bad one.
 * @internal
 */
export function parseRosterHead(
  data: Uint8Array,
  maxEntries: number,
  known: (id: string) => boolean = () => false,
): RosterHead | undefined {
  const nl = data.indexOf(NEWLINE);
  if (nl < 0 || nl > 256 * (maxEntries + 1)) return undefined;
  try {
    const o = JSON.parse(decoder.decode(data.subarray(0, nl))) as Record<string, unknown>;
    if (o === null || typeof o !== 'object' || !isInstance(o.i)) return undefined;
    if (typeof o.d !== 'string' || o.d.length > 64) return undefined;
    if (typeof o.a !== 'number' || !Number.isFinite(o.a) || o.a < 0) return undefined;
    if (!entriesOk(o.l, maxEntries, known)) return undefined;
    return { i: o.i, d: o.d, a: o.a, l: o.l as [string, string, number][] };
  } catch {
    return undefined;
  }
}

/** A roster's head (`parseRosterHead`). @internal */
export interface RosterHead {
  i: string;
  d: string;
  a: number;
  l: readonly (readonly [string, string, number])[];
}

const NEWLINE = 10;

/** One member's share of a roster digest: two 32-bit FNV-1a hashes of its id and instance. @internal */
export function memberHash(id: string, instance: string): readonly [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x050c5d1f;
  const key = `${id}\u0000${instance}`;
  for (let k = 0; k < key.length; k++) {
    const c = key.charCodeAt(k);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x01000193) ^ (h2 >>> 15);
  }
  return [h1 >>> 0, h2 >>> 0];
}

/**
 * The digest of a set of members (ids and instances): their count and the
 * sums of their hashes, kept as members come and go, the same whatever the
 * order. @internal
 */
export class RosterDigest {
  private n = 0;
  private h1 = 0;
  private h2 = 0;

  add(h: readonly [number, number]): void {
    this.n++;
    this.h1 = (this.h1 + h[0]) >>> 0;
    this.h2 = (this.h2 + h[1]) >>> 0;
  }

  remove(h: readonly [number, number]): void {
    this.n--;
    this.h1 = (this.h1 - h[0]) >>> 0;
    this.h2 = (this.h2 - h[1]) >>> 0;
  }

  toString(): string {
    return `${this.n}.${this.h1.toString(36)}.${this.h2.toString(36)}`;
  }

  /** The digest with one more member, this one unchanged. */
  plus(h: readonly [number, number]): string {
    return `${this.n + 1}.${((this.h1 + h[0]) >>> 0).toString(36)}.${((this.h2 + h[1]) >>> 0).toString(36)}`;
  }
}

/**
 * A roster's text: its head (the digest `d` of what it lists and of its
 * sender, the late entries: older than `lateAfterMs`) on the first line,
 * every entry on the second. @internal
 */
export function formatRoster(
  instance: string,
  entries: readonly RosterEntry[],
  digest: string,
  lateAfterMs: number,
): string {
  let a = 0;
  const late: [string, string, number][] = [];
  for (const e of entries)
    if (e.age > lateAfterMs) late.push([e.id, e.instance, e.age]);
    else if (e.age > a) a = e.age;
  const head = JSON.stringify({ i: instance, d: digest, a, l: late });
  return `${head}\n${JSON.stringify({ v: 1, i: instance, r: entries.map((e) => [e.id, e.instance, e.age]) })}`;
}
