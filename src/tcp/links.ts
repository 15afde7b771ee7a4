/**
 * One link per pair of routers (pure decision). A connection that names a
 * router id which already has a live link is a newcomer; the established
 * link is never displaced by it (with or without TLS): the newcomer is
 * refused while the old link is alive, and a restarted router (a new hello
 * `instance`) gets in once its old link has closed.
 *
 * The one exception is two routers dialling each other at the same moment:
 * both links come from the same transport instance, one dialled by each side,
 * and come up within `MUTUAL_DIAL_WINDOW_MS` of each other. Whichever order
 * each end sees them in, both ends must keep the same one, so both keep the
 * link the lower router id dialled (ids compared by UTF-16 code units, as
 * PROTOCOL.md section 7 orders them).
 */

/** How close in time two crossing dials must come up to be settled by the lower-id rule. */
export const MUTUAL_DIAL_WINDOW_MS = 2000;

/** What the decision needs to know of one link. */
export interface TcpLinkFacts {
  direction: 'in' | 'out';
  /** The other end's transport instance, from its hello. */
  instance: string | undefined;
  /** When its router id was settled (ms). */
  linkedAt: number;
}

/**
 * Keep the established link `old` (`'old'`) or the newcomer `c` (`'new'`)?
 * `self`: this router's id (`undefined`: unknown, keep the old), `rid`: the
 * other router's.
 */
export function keepWhich(
  self: string | undefined,
  rid: string,
  old: TcpLinkFacts,
  c: TcpLinkFacts,
): 'old' | 'new' {
  if (self === undefined || c.instance === undefined || old.instance !== c.instance) return 'old';
  if (old.direction === c.direction || c.linkedAt - old.linkedAt > MUTUAL_DIAL_WINDOW_MS)
    return 'old';
  const initiator = (x: TcpLinkFacts): string => (x.direction === 'out' ? self : rid);
  return initiator(c) === (self < rid ? self : rid) ? 'new' : 'old';
}

/** A link as the registry sees it. */
export interface TcpLink extends TcpLinkFacts {
  readonly up: boolean;
}

/**
 * The live links by router id. `settle` applies `keepWhich` to a connection
 * that named its router; the transport closes what it returns.
 */
export class TcpLinks<C extends TcpLink> {
  private readonly byRouter = new Map<string, Set<C>>();

  /** Some link to `rid` is registered. */
  has(rid: string): boolean {
    return this.byRouter.has(rid);
  }

  /**
   * `c` speaks for `rid`. Returns `refused` (close `c`, a duplicate) or the
   * older links `c` displaces (close them; only crossing mutual dials).
   * `c` is registered before anything is closed, so closing the old links
   * never leaves `rid` without a link.
   */
  settle(self: string | undefined, rid: string, c: C): { refused: boolean; displaced: C[] } {
    let set = this.byRouter.get(rid);
    if (set === undefined) {
      set = new Set();
      this.byRouter.set(rid, set);
    }
    const displaced: C[] = [];
    for (const old of set) {
      if (old === c || !old.up) continue;
      if (keepWhich(self, rid, old, c) === 'old') return { refused: true, displaced: [] };
      displaced.push(old);
    }
    set.add(c);
    return { refused: false, displaced };
  }

  /** `c` (registered for `rid`) is down; true when `rid` has no link left. */
  remove(rid: string, c: C): boolean {
    const set = this.byRouter.get(rid);
    if (set === undefined || !set.delete(c) || set.size > 0) return false;
    this.byRouter.delete(rid);
    return true;
  }
}
