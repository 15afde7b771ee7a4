/**
 * The subject layout of a bus (docs/nats.md): everything
 * under one `prefix`, router ids escaped into single subject tokens.
 *
 * | subject                     | carries                                   |
 * |-----------------------------|-------------------------------------------|
 * | `<prefix>.u.<to>.<from>`    | a frame for router `to` (unicast)         |
 * | `<prefix>.b.<from>`         | a frame for every member (one publish)    |
 * | `<prefix>.p.<from>`         | presence: hello and goodbye (to all)      |
 * | `<prefix>.h.<from>`         | heartbeats (to the aggregators only)      |
 * | `<prefix>.r.<from>`         | an aggregator's roster (to all)           |
 */
import { isValidRouterId } from '../base/names.js';

// A prefix: one or more tokens of letters, digits, `_` and `-`, dot-separated (no wildcards).
const PREFIX_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const MAX_PREFIX_LENGTH = 128;

/** Is `p` a usable subject prefix (no wildcards, no empty tokens)? @example
 * {@includeCode ../../docs/api-examples/nats.ts#subjects} */
export function isValidPrefix(p: unknown): p is string {
  return (
    typeof p === 'string' && p.length > 0 && p.length <= MAX_PREFIX_LENGTH && PREFIX_RE.test(p)
  );
}

/**
 * A router id as one subject token: `_` becomes `_5f` and `.` becomes `_2e`
 * (`station.a_1` → `station_2ea_5f1`); every other character of a router id
 * (`[A-Za-z0-9:-]`) is legal in a token as is. Reversible: see `decodeId`. @example
 * {@includeCode ../../docs/api-examples/nats.ts#subjects}
 */
export function encodeId(id: string): string {
  let out = '';
  for (const ch of id) out += ch === '_' ? '_5f' : ch === '.' ? '_2e' : ch;
  return out;
}

/** The router id a token stands for, or `undefined` when the token is not one `encodeId` makes. @example
 * {@includeCode ../../docs/api-examples/nats.ts#subjects} */
export function decodeId(token: string): string | undefined {
  let out = '';
  for (let i = 0; i < token.length; i++) {
    const ch = token[i] as string;
    if (ch !== '_') {
      if (ch === '.') return undefined;
      out += ch;
      continue;
    }
    const esc = token.slice(i + 1, i + 3);
    if (esc === '5f') out += '_';
    else if (esc === '2e') out += '.';
    else return undefined;
    i += 2;
  }
  return isValidRouterId(out) ? out : undefined;
}

/** The subjects of one router on one bus. @example
 * {@includeCode ../../docs/api-examples/nats.ts#BusSubjects} */
export class BusSubjects {
  /** Broadcast frames of every member: subscribe. */
  readonly allBroadcast: string;
  /** Presence of every member: subscribe. */
  readonly allPresence: string;
  /** Heartbeats of every member: the aggregators subscribe. */
  readonly allHeartbeats: string;
  /** Rosters of the aggregators: subscribe. */
  readonly allRosters: string;
  /** Where this router sends its heartbeats (to the aggregators). */
  readonly heartbeat: string;
  /** Where this router, as an aggregator, publishes its roster. */
  readonly roster: string;
  /** Frames for this router from anyone: subscribe. */
  readonly inbox: string;
  /** Where this router broadcasts. */
  readonly broadcast: string;
  /** Where this router announces itself. */
  readonly presence: string;
  /** Tokens before the `from` token in each kind of subject. */
  private readonly unicastHead: string;
  private readonly selfToken: string;

  constructor(
    readonly prefix: string,
    readonly id: string,
  ) {
    this.selfToken = encodeId(id);
    this.allBroadcast = `${prefix}.b.*`;
    this.allPresence = `${prefix}.p.*`;
    this.allHeartbeats = `${prefix}.h.*`;
    this.allRosters = `${prefix}.r.*`;
    this.heartbeat = `${prefix}.h.${this.selfToken}`;
    this.roster = `${prefix}.r.${this.selfToken}`;
    this.inbox = `${prefix}.u.${this.selfToken}.*`;
    this.broadcast = `${prefix}.b.${this.selfToken}`;
    this.presence = `${prefix}.p.${this.selfToken}`;
    this.unicastHead = `${prefix}.u.`;
  }

  /** Where to publish a frame for router `to`. @example
   * {@includeCode ../../docs/api-examples/nats.ts#BusSubjects} */
  unicastTo(to: string): string {
    return `${this.unicastHead}${encodeId(to)}.${this.selfToken}`;
  }

  /** The sender of a message on one of the subscribed subjects (its last token), or `undefined`. @example
   * {@includeCode ../../docs/api-examples/nats.ts#BusSubjects} */
  static sender(subject: string): string | undefined {
    return decodeId(subject.slice(subject.lastIndexOf('.') + 1));
  }
}
