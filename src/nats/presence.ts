/**
 * The bus's presence messages (docs/nats.md "Presence"): their format and
 * parsing. Every member says `hello` and `bye` to all (`<prefix>.p.<id>`);
 * heartbeats go only to the aggregators (`<prefix>.h.<id>`), the two members
 * with the lowest router ids, which publish a roster each heartbeat interval
 * (`<prefix>.r.<id>`) to all: about 4N deliveries per interval, not N(N−1).
 */
import { isValidRouterId } from '../base/names.js';

/** The header of a whole roster an aggregator sends one member on its unicast subject (it asked). @internal */
export const ROSTER_HEADER = 'Ctp-Roster';

/** How many members aggregate heartbeats into rosters: the lowest ids. @internal */
export const AGGREGATORS = 2;

/**
 * `{"v":1,"i":instance,"q":1}`, with `"hello":true` on (re)connect and `"bye":true` on close;
 * `"q":1`: its sender reads rosters without entries (a head and its changes) and asks for the
 * entries (`"full":aggregator`, a heartbeat) when the head is not enough. @internal
 */
export interface Presence {
  i: string;
  hello: boolean;
  bye: boolean;
  /** It reads heads alone (`q`): absent from members of earlier versions. */
  q: boolean;
  /** A heartbeat asking aggregator `full` for its whole roster (sent to this member alone). */
  full: string | undefined;
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
    const full = typeof o.full === 'string' && isValidRouterId(o.full) ? o.full : undefined;
    return { i: o.i, hello: o.hello === true, bye: o.bye === true, q: o.q === 1, full };
  } catch {
    return undefined;
  }
}

/** A presence message's text; `full`: a heartbeat asking that aggregator for its whole roster. @internal */
export function formatPresence(
  instance: string,
  what: 'hello' | 'bye' | undefined,
  full?: string,
): string {
  if (full !== undefined) return `{"v":1,"i":"${instance}","q":1,"full":${JSON.stringify(full)}}`;
  return what === undefined
    ? `{"v":1,"i":"${instance}","q":1}`
    : `{"v":1,"i":"${instance}","q":1,"${what}":true}`;
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
  let nl = data.indexOf(NEWLINE);
  if (nl < 0 && data[0] === OPEN_BRACE && data[1] === QUOTE && data[2] === LETTER_I)
    nl = data.length; // a head alone
  if (nl < 0 || nl > 256 * (maxEntries + 1)) return undefined;
  try {
    const o = JSON.parse(decoder.decode(data.subarray(0, nl))) as Record<string, unknown>;
    if (o === null || typeof o !== 'object' || !isInstance(o.i)) return undefined;
    if (typeof o.d !== 'string' || o.d.length > 64) return undefined;
    if (typeof o.a !== 'number' || !Number.isFinite(o.a) || o.a < 0) return undefined;
    if (!entriesOk(o.l, maxEntries, known)) return undefined;
    const n = o.n ?? [];
    const g = (o.g ?? []) as unknown[];
    if (!entriesOk(n, maxEntries, known) || !Array.isArray(g) || g.length > maxEntries)
      return undefined;
    for (const e of g)
      if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || !isInstance(e[1]))
        return undefined;
    return {
      i: o.i,
      d: o.d,
      a: o.a,
      l: o.l as [string, string, number][],
      n: n as [string, string, number][],
      g: g as [string, string][],
      entries: nl < data.length - 1,
      q: o.q === 1,
      c: o.c === 1,
    };
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
  /** Entries it started listing within the last two intervals. */
  n: readonly (readonly [string, string, number])[];
  /** `[id, instance]` it stopped listing within the last two intervals. */
  g: readonly (readonly [string, string])[];
  /** Its entries follow (a second line). */
  entries: boolean;
  /** Its sender reads heads alone (`"q":1`: aggregators send no heartbeats). */
  q: boolean;
  /** Cold (`"c":1`): its sender has not listened to the heartbeats for an interval yet (aggregators.ts). */
  c: boolean;
}

const NEWLINE = 10;
const OPEN_BRACE = 0x7b;
const QUOTE = 0x22;
const LETTER_I = 0x69;

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

  /** A copy, to try changes on. */
  copy(): RosterDigest {
    const c = new RosterDigest();
    c.n = this.n;
    c.h1 = this.h1;
    c.h2 = this.h2;
    return c;
  }

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
}

/** What a roster's head says changed lately (`RosterHead` `n` and `g`). @internal */
export interface RosterChangeLists {
  n: readonly (readonly [string, string, number])[];
  g: readonly (readonly [string, string])[];
}

/**
 * A roster's text: its head (the digest `d` of what it lists and of its
 * sender, the late entries: older than `lateAfterMs`; `changes`: what it
 * lists lately and no longer lists) on the first line, and every entry on
 * the second unless `changes` are given without them. @internal
 */
export function formatRoster(
  instance: string,
  entries: readonly RosterEntry[],
  digest: string,
  lateAfterMs: number,
  changes?: RosterChangeLists,
  cold = false,
): string {
  let a = 0;
  const late: [string, string, number][] = [];
  for (const e of entries)
    if (e.age > lateAfterMs) late.push([e.id, e.instance, e.age]);
    else if (e.age > a) a = e.age;
  const c = cold ? { c: 1 } : {};
  if (changes !== undefined)
    return JSON.stringify({
      i: instance,
      q: 1,
      d: digest,
      a,
      l: late,
      n: changes.n,
      g: changes.g,
      ...c,
    });
  const head = JSON.stringify({ i: instance, q: 1, d: digest, a, l: late, ...c });
  return `${head}\n${JSON.stringify({ v: 1, i: instance, r: entries.map((e) => [e.id, e.instance, e.age]) })}`;
}
