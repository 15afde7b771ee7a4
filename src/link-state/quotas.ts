/**
 * Per-origin shares of the table (issue 25): the node names stored across all
 * origins (`maxTableNodes`) are one pool, but no origin may take more than
 * its share of it once the pool is half full, so a storm of big adverts
 * cannot leave other origins without room, as the waiting REGISTERs are
 * shared (src/host/waiting.ts).
 */

/** The least table share of one origin, however small `maxTableNodes / 32` is. */
export const MIN_TABLE_SHARE = 1024;

/** Names one origin may hold past half a full table: max(1024, maxTableNodes / 32), never more than the pool (1,000,000 → 31,250). */
export function tableShare(maxTableNodes: number): number {
  return Math.min(maxTableNodes, Math.max(MIN_TABLE_SHARE, Math.floor(maxTableNodes / 32)));
}

/**
 * May an origin's advert of `names` names be stored, when the pool would then hold `total` names
 * of `max`? Never past the pool; within the origin's share while it fits; past the share, only while
 * the pool stays at most half full (the other half stays for the other origins' shares).
 */
export function tableAdmit(names: number, total: number, max: number, share: number): boolean {
  if (total > max) return false;
  return names <= share || total <= Math.floor(max / 2);
}
