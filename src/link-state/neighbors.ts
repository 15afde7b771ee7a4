/**
 * Neighbors (PROTOCOL.md section 7): which router id each peer speaks for. The
 * first `from` heard on a peer binds it until `peerDown` (or a new `peerUp`);
 * another `from` is `from-mismatch`, the own id is `duplicate-id`, and frames
 * after `peerDown` are `peer-down` until the next `peerUp`.
 */
import type { CtpReport } from '../wire/report.js';
import type { CtpTable } from './table.js';

// Peers remembered as down (so their late frames are dropped); the oldest is forgotten past this.
const MAX_DOWN_PEERS = 10_000;

export interface CtpNeighborHooks {
  /** Another router uses this router's id (emitted once per peer). */
  idConflict(): void;
  /** A peer was bound to a new router id: re-originate before its adverts are flooded. */
  bound(): void;
}

export class CtpNeighbors<P> {
  private readonly down = new Set<P>();
  /** Peers whose next `from` may rebind them (after a new `peerUp`). */
  private readonly rebindable = new Set<P>();
  private readonly idConflictPeers = new Set<P>();

  constructor(
    private readonly table: CtpTable<P>,
    private readonly hooks: CtpNeighborHooks,
    private readonly report: CtpReport<P>,
  ) {}

  isDown(peer: P): boolean {
    return this.down.has(peer);
  }

  /** The transport reports the link up. */
  up(peer: P): void {
    this.down.delete(peer);
    if (this.table.boundId(peer) !== undefined) this.rebindable.add(peer);
  }

  /** The transport reports the link down; true when the neighbor set changed. */
  downed(peer: P): boolean {
    this.rebindable.delete(peer);
    this.idConflictPeers.delete(peer);
    this.down.delete(peer);
    this.down.add(peer);
    if (this.down.size > MAX_DOWN_PEERS) this.down.delete(this.down.values().next().value as P);
    return this.table.unbind(peer) !== undefined;
  }

  /** Bind `peer` to `from` (REPORTNODE, UPDATENODE); false when the frame must be dropped (reported). */
  bindFrom(peer: P, from: string, t: string): boolean {
    if (from === this.table.id) {
      this.report.drop(peer, 'duplicate-id', { t });
      if (!this.idConflictPeers.has(peer)) {
        this.idConflictPeers.add(peer);
        this.hooks.idConflict();
      }
      return false;
    }
    const bound = this.table.boundId(peer);
    if (bound === from) {
      this.rebindable.delete(peer);
      return true;
    }
    if (bound !== undefined && !this.rebindable.has(peer)) {
      this.report.drop(peer, 'from-mismatch', { t });
      return false;
    }
    this.rebindable.delete(peer);
    this.table.bind(peer, from);
    // "When one frame both teaches a new neighbor and carries adverts,
    // re-originate first, then flood the adverts."
    this.hooks.bound();
    return true;
  }
}
