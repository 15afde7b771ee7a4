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

/**
 * A roster of at most `maxEntries` entries, or `undefined` when it is not
 * one (too big, a bad field): entries are `[id, instance, age]`. `known`:
 * ids already checked (members), not checked again.
 * @internal
 */
export function parseRoster(
  data: Uint8Array,
  maxEntries: number,
  known: (id: string) => boolean = () => false,
): Roster | undefined {
  if (data.length > 256 * (maxEntries + 1)) return undefined;
  try {
    const o = JSON.parse(decoder.decode(data)) as Record<string, unknown>;
    if (o === null || typeof o !== 'object' || o.v !== 1 || !isInstance(o.i)) return undefined;
    const r = o.r;
    if (!Array.isArray(r) || r.length > maxEntries) return undefined;
    // Checked as parsed, not copied: every member parses two rosters of N entries an interval.
    for (const e of r as unknown[]) {
      if (!Array.isArray(e) || e.length !== 3) return undefined;
      const [id, instance, age] = e as [unknown, unknown, unknown];
      // A member's id was checked when it became one: only the others' are (most of an idle roster's).
      if (typeof id !== 'string' || !(known(id) || isValidRouterId(id)) || !isInstance(instance))
        return undefined;
      if (typeof age !== 'number' || !Number.isFinite(age) || age < 0) return undefined;
    }
    return { i: o.i, r: r as [string, string, number][] };
  } catch {
    return undefined;
  }
}

/** A roster's text. @internal */
export function formatRoster(instance: string, entries: readonly RosterEntry[]): string {
  return JSON.stringify({ v: 1, i: instance, r: entries.map((e) => [e.id, e.instance, e.age]) });
}
