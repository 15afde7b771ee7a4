/**
 * The lines a connection reads, before the router gets them. The first (a
 * hello, or for a TLS peer without one its certificate's name) settles
 * which router the link is to: checked against the certificate or the
 * `id@` target (`identity-mismatch`), refused when it is this router itself
 * (`self`), and kept to one link per router (links.ts, `duplicate`). On a
 * dialled link, a bye line says why the other end refuses it; on a TLS
 * link, every frame must speak for its certificate's router. A line past
 * `maxFrameBytes` is discarded (`oversized`).
 */
import createDebug from 'debug';
import type { TcpCloseReason, TcpConnection } from './connection.js';
import { dialErr } from './dial-errors.js';
import type { TcpDialer } from './dialer.js';
import { claimsOtherFrom } from './frame-from.js';
import { byeFrame, parseBye, parseHello } from './hello.js';
import type { TcpLinks } from './links.js';
import type { TcpResolvedOptions } from './options.js';

const debug = createDebug('ctp:tcp');

/** What the inbound side needs from the transport. @internal */
export interface TcpInboundHost {
  /** The id this router announces in its hello, if known. */
  selfId(): string | undefined;
  /** Hand a frame to the router (`receive`). */
  receive(c: TcpConnection, line: Buffer): void;
  /** Take `c` from the router (once): `peerDown`, `disconnect` with `reason`. */
  takeDown(c: TcpConnection, reason: TcpCloseReason): void;
  /** The dialer `c` came from, when it was dialled. */
  dialerOf(c: TcpConnection): TcpDialer | undefined;
  /** A line of `bytes`+ bytes was discarded: emit `oversized`. */
  oversized(c: TcpConnection, bytes: number): void;
}

/** The transport's counters the inbound side keeps (part of `TcpStats`). */
export interface TcpInboundCounters {
  framesIn: number;
  oversized: number;
  duplicates: number;
  identityMismatches: number;
}

/** What the transport does with the lines its connections read. @internal */
export class TcpInbound {
  constructor(
    private readonly links: TcpLinks<TcpConnection>,
    private readonly opts: Pick<TcpResolvedOptions, 'closeTimeoutMs' | 'maxFrameBytes'>,
    private readonly counters: TcpInboundCounters,
    private readonly host: TcpInboundHost,
  ) {}

  /** A line `c` read: false when `c` is no longer up (read no further). */
  line(c: TcpConnection, line: Buffer): boolean {
    if (!c.up || !c.isOpen) return false;
    if (c.firstLine) {
      c.firstLine = false;
      c.heard = true;
      const hello = parseHello(line);
      if (hello !== undefined) {
        this.settle(c, hello.id, hello.instance);
        return c.up && c.isOpen;
      }
      // A TLS peer without a hello: its certificate names it.
      if (c.identity !== undefined && !this.settle(c, c.identity, undefined)) return false;
    }
    // The other end refuses a link we dialled, and says why before closing it.
    if (c.direction === 'out') {
      const bye = parseBye(line);
      if (bye !== undefined) {
        this.refusedBy(c, bye);
        return false;
      }
    }
    // Every frame of a TLS link must speak for its certificate's router.
    if (c.identity !== undefined && claimsOtherFrom(line, c.identity)) {
      this.identityMismatch(c, 'a frame');
      return false;
    }
    this.counters.framesIn++;
    this.host.receive(c, line);
    return c.up && c.isOpen;
  }

  /** `c` discarded a line of `bytes`+ bytes (connection.ts). */
  oversized(c: TcpConnection, bytes: number): void {
    this.counters.oversized++;
    debug(
      'connection %s: discarding a line of %d+ bytes (maxFrameBytes %d)',
      c,
      bytes,
      this.opts.maxFrameBytes,
    );
    this.host.oversized(c, bytes);
  }

  /**
   * The other end is router `rid` (its hello, or its certificate): check it
   * against the certificate or the `id@` target (`identity-mismatch`), refuse
   * a link to this router itself (`self`), and keep one link per router
   * (`links.ts`: an established link is never displaced by a newcomer, but
   * for two routers dialling each other at once). False when `c` was closed.
   */
  private settle(c: TcpConnection, rid: string, instance: string | undefined): boolean {
    if (c.expectedId !== undefined && rid !== c.expectedId) {
      c.refusal = dialErr(
        'ERR_CTP_IDENTITY_MISMATCH',
        `${c.target ?? 'the other end'} answered as router ${rid}, expected ${c.expectedId}`,
      );
      this.identityMismatch(c, `hello from ${rid}`);
      return false;
    }
    const self = this.host.selfId();
    if (rid === self) {
      debug('connection %s is to this router itself', c);
      c.refusal = dialErr(
        'ERR_CTP_SELF',
        `${c.target ?? 'the other end'} is this router itself (${rid}): not redialled`,
      );
      this.host.dialerOf(c)?.park(rid);
      this.retire(c, 'self');
      return false;
    }
    c.routerId = rid;
    c.instance = instance;
    c.linkedAt = Date.now();
    const { refused, displaced } = this.links.settle(self, rid, c);
    if (refused) {
      debug('connection %s duplicates a live link to %s: refused', c, rid);
      // Say why before closing (a bye line), so its dialler sees `duplicate`, not a bare close. Only the
      // refused newcomer hears it: it follows our hello on its own socket, so the other end has settled
      // the link first; a displaced link's other end reaches the same decision by itself.
      if (self !== undefined) c.enqueue(byeFrame(self, 'duplicate'), Infinity);
      this.retire(c, 'duplicate');
      return false;
    }
    for (const old of displaced) this.retire(old, 'duplicate');
    return true;
  }

  /**
   * The other end refused dialled link `c` for `reason` (its bye line): take
   * it down as `duplicate` (another reason: `closed`) and close it. Its
   * dialler reports the refusal as `dialError` and redials with backoff.
   */
  private refusedBy(c: TcpConnection, reason: string): void {
    debug('connection %s refused by the other end: %s', c, reason);
    const self = this.host.selfId();
    const why =
      reason === 'duplicate'
        ? `it has a live link with router id ${self ?? '(this one)'} already (duplicate)`
        : reason;
    c.refusal = dialErr(
      'ERR_CTP_LINK_REFUSED',
      `${c.target ?? 'the other end'} refused the link: ${why}`,
      reason,
    );
    const closeReason: TcpCloseReason = reason === 'duplicate' ? 'duplicate' : 'closed';
    this.host.takeDown(c, closeReason);
    c.end(closeReason, this.opts.closeTimeoutMs);
  }

  /** Its hello or a frame names a router other than its certificate (or its `id@` target): close it. */
  private identityMismatch(c: TcpConnection, what: string): void {
    this.counters.identityMismatches++;
    debug('connection %s: %s does not match its identity %s: closing it', c, what, c.expectedId);
    this.host.takeDown(c, 'identity-mismatch');
    c.destroy('identity-mismatch');
  }

  /** Close a connection the transport itself decided to end. */
  private retire(c: TcpConnection, reason: 'duplicate' | 'self'): void {
    if (reason === 'duplicate') {
      this.counters.duplicates++;
      const d = this.host.dialerOf(c);
      if (d !== undefined && c.routerId !== undefined) d.park(c.routerId);
    }
    this.host.takeDown(c, reason);
    c.end(reason, this.opts.closeTimeoutMs);
  }
}
