/**
 * Broadcast media (src/link-state/media.ts): routers on one in-memory bus — one
 * broadcast reaches every member once — list the medium's pseudo-node
 * instead of each other; a join or a leave does not make members re-advertise.
 */
import { describe, expect, it } from 'vitest';
import type { CtpSendInfo } from '../../src/base/callbacks.js';
import { CtpMedia, pseudoNodeId } from '../../src/link-state/media.js';
import { ReturnCode, type CtpControlMessage } from '../../src/base/messages.js';
import { CtpRouter } from '../../src/router.js';
import { CtpTestClock } from '../../src/testing/index.js';
import { networkView } from '../../src/ui/model.js';
import type { CtpRouterOptions } from '../../src/options.js';
import { canonicalAdvert } from '../../src/link-state/signing.js';
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

interface Peer {
  at: string;
  remote: string;
  kind: 'bus' | 'p2p';
}

/** Deliveries recorded for the checks: who sent what to whom, and how. */
interface Delivery {
  from: string;
  to: string;
  kind: 'bus-broadcast' | 'bus-unicast' | 'p2p';
  frame: string;
}

/** An in-memory bus plus point-to-point links; frames are delivered in order, asynchronously. */
class Net {
  readonly routers = new Map<string, CtpRouter<Peer>>();
  readonly members = new Set<string>();
  /** `${at}|${remote}` → the handle `at` holds. */
  readonly busPeers = new Map<string, Peer>();
  readonly links = new Map<string, Peer>();
  readonly log: Delivery[] = [];
  /** The routers' clock, as the test network's: `settle()` moves it past paced adverts. */
  readonly clock = new CtpTestClock();
  private queue: (() => void)[] = [];

  add(
    id: string,
    nodes: string[] = [],
    extra: Partial<CtpRouterOptions<Peer>> = {},
  ): CtpRouter<Peer> {
    const r: CtpRouter<Peer> = new CtpRouter<Peer>(
      (name, msg) => {
        if (name !== 'EVENT')
          r.respond(
            msg.node,
            { at: id, app: (msg as CtpControlMessage).app },
            ReturnCode.SUCCESS,
            msg.id,
          );
      },
      (peer: Peer | null, frame: string, info?: CtpSendInfo<Peer>) =>
        this.send(id, peer, frame, info),
      () => {},
      { id, nodes, clock: this.clock, ...extra },
    );
    r.on('error', (e) => {
      throw e;
    });
    this.routers.set(id, r);
    return r;
  }

  private send(
    from: string,
    peer: Peer | null,
    frame: string,
    info: CtpSendInfo<Peer> | undefined,
  ): void {
    if (peer !== null) {
      this.enqueue(from, peer.remote, peer.kind === 'bus' ? 'bus-unicast' : 'p2p', frame);
      return;
    }
    // One publish on the bus, unless it floods what came from the bus.
    if (this.members.has(from) && info?.except?.kind !== 'bus')
      for (const m of this.members) if (m !== from) this.enqueue(from, m, 'bus-broadcast', frame);
    for (const p of this.links.values())
      if (p.at === from) this.enqueue(from, p.remote, 'p2p', frame);
  }

  private enqueue(from: string, to: string, kind: Delivery['kind'], frame: string): void {
    this.queue.push(() => {
      const handle =
        kind === 'p2p'
          ? this.links.get(`${to}|${from}`)
          : this.members.has(from) && this.members.has(to)
            ? this.busPeers.get(`${to}|${from}`)
            : undefined;
      if (handle === undefined) return;
      this.log.push({ from, to, kind, frame });
      this.routers.get(to)?.receive(handle, frame);
    });
  }

  join(id: string): void {
    this.members.add(id);
    for (const m of this.members) {
      if (m === id) continue;
      const a: Peer = { at: id, remote: m, kind: 'bus' };
      const b: Peer = { at: m, remote: id, kind: 'bus' };
      this.busPeers.set(`${id}|${m}`, a);
      this.busPeers.set(`${m}|${id}`, b);
      this.routers.get(m)?.peerUp(b, { medium: 'bus1' });
      this.routers.get(id)?.peerUp(a, { medium: 'bus1' });
    }
  }

  leave(id: string): void {
    this.members.delete(id);
    for (const m of this.members) this.pairDown(m, id);
  }

  /** The pair of members `p`–`q` goes (a bus splitting pair by pair); both stay members. */
  pairDown(p: string, q: string): void {
    const pq = this.busPeers.get(`${p}|${q}`) as Peer;
    const qp = this.busPeers.get(`${q}|${p}`) as Peer;
    this.busPeers.delete(`${p}|${q}`);
    this.busPeers.delete(`${q}|${p}`);
    this.routers.get(p)?.peerDown(pq);
    this.routers.get(q)?.peerDown(qp);
  }

  link(x: string, y: string): void {
    const a: Peer = { at: x, remote: y, kind: 'p2p' };
    const b: Peer = { at: y, remote: x, kind: 'p2p' };
    this.links.set(`${x}|${y}`, a);
    this.links.set(`${y}|${x}`, b);
    this.routers.get(x)?.peerUp(a);
    this.routers.get(y)?.peerUp(b);
  }

  unlink(x: string, y: string): void {
    const a = this.links.get(`${x}|${y}`) as Peer;
    const b = this.links.get(`${y}|${x}`) as Peer;
    this.links.delete(`${x}|${y}`);
    this.links.delete(`${y}|${x}`);
    this.routers.get(x)?.peerDown(a);
    this.routers.get(y)?.peerDown(b);
  }

  /** Deliver until nothing is in flight; returns the deliveries made meanwhile. */
  async settle(): Promise<Delivery[]> {
    const start = this.log.length;
    for (let i = 0; i < 100_000; i++) {
      if (this.queue.length === 0) {
        // Nothing in flight: move the clock to a paced advert, if one waits (frames delivered in between).
        const at = this.clock.nextPacing();
        if (at === undefined) break;
        this.clock.step(at);
        continue;
      }
      const q = this.queue;
      this.queue = [];
      for (const f of q) f();
      await new Promise((r) => setImmediate(r));
    }
    expect(this.queue.length).toBe(0);
    expect(this.clock.nextPacing()).toBeUndefined();
    return this.log.slice(start);
  }

  async close(): Promise<void> {
    for (const r of this.routers.values()) await r.close();
  }
}

/** The origins of the adverts a delivery of REPORTNODE carries. */
function origins(d: Delivery): string[] {
  const m = JSON.parse(d.frame) as { t: string; adverts?: { origin: string }[] };
  return m.t === 'REPORTNODE' ? (m.adverts ?? []).map((a) => a.origin) : [];
}

async function bus(n: number): Promise<Net> {
  const net = new Net();
  for (let i = 0; i < n; i++) net.add(`m${String(i).padStart(2, '0')}`, [`node${i}`]);
  for (let i = 0; i < n; i++) net.join(`m${String(i).padStart(2, '0')}`);
  await net.settle();
  return net;
}

describe('a broadcast medium', () => {
  it('members list the pseudo-node of the DR (the lowest id) instead of each other, and reach everything', async () => {
    const net = await bus(6);
    const q = pseudoNodeId('bus1', 'm00');
    for (const r of net.routers.values()) {
      expect(r.snapshot().neighbors).toEqual([q]);
      expect(r.nodes()).toEqual(['node0', 'node1', 'node2', 'node3', 'node4', 'node5']);
    }
    const m03 = net.routers.get('m03') as CtpRouter<Peer>;
    expect(m03.snapshot().routers[q]).toMatchObject({ reachable: true });
    // The live view (`ctp-router ui`, `nodes --dot`) marks it as a bus, the members as routers.
    const view = networkView(m03.snapshot());
    expect(view.routers.filter((r) => r.bus === true).map((r) => r.id)).toEqual([q]);
    expect(view.routers.find((r) => r.id === 'm05')?.bus).toBeUndefined();
    expect(m03.snapshot().routers.m05).toMatchObject({ reachable: true, nextHop: 'm05' });
    const p = m03.register('node5', 'controller');
    await net.settle();
    expect(await p).toEqual({ code: ReturnCode.SUCCESS });
    const c = m03.command('node5', 'go', 1);
    await net.settle();
    expect(await c).toEqual({ code: ReturnCode.SUCCESS, content: { at: 'm05', app: 'go' } });
    await net.close();
  });

  it('a join re-advertises only the newcomer and the pseudo-node; deliveries linear in the members', async () => {
    for (const n of [8, 16, 32]) {
      const net = await bus(n);
      // A newcomer with a lower id than the DR: the DR stays (sticky).
      net.add('a-new', ['fresh']);
      net.join('a-new');
      const d = await net.settle();
      const broadcastOrigins = new Set(
        d.filter((x) => x.kind === 'bus-broadcast').flatMap(origins),
      );
      if (process.env.DBG)
        console.log(
          d
            .filter((x) => x.kind === 'bus-broadcast' && x.to === 'm01')
            .map((x) => `${x.from}: ${origins(x).join(',')}`),
        );
      expect([...broadcastOrigins].sort()).toEqual(['a-new', pseudoNodeId('bus1', 'm00')].sort());
      for (const r of net.routers.values()) expect(r.nodes()).toContain('fresh');
      expect((net.routers.get('a-new') as CtpRouter<Peer>).snapshot().neighbors).toEqual([
        pseudoNodeId('bus1', 'm00'),
      ]);
      // One table each way with each member, and a few adverts (the newcomer's, the pseudo-node's): about 5 per member.
      expect(d.length).toBeLessThanOrEqual(6 * (n + 1));
      await net.close();
    }
  });

  it('a join: each member sends the newcomer its own advert and what lies behind it, not its whole table', async () => {
    const n = 16;
    const net = await bus(n);
    // An island behind m03 (point-to-point), and one behind it.
    net.add('island', ['far']);
    net.add('island2', ['farther']);
    net.link('m03', 'island');
    net.link('island', 'island2');
    await net.settle();
    net.add('a-new', ['fresh']);
    net.join('a-new');
    const d = await net.settle();
    const toNewcomer = d
      .filter((x) => x.to === 'a-new' && x.kind === 'bus-unicast')
      .flatMap(origins);
    // Every origin once (the members', the islands' from m03, the pseudo-node's from its DR), not n times each.
    expect(toNewcomer.sort()).toEqual(
      [
        ...Array.from({ length: n }, (_, i) => `m${String(i).padStart(2, '0')}`),
        'island',
        'island2',
        pseudoNodeId('bus1', 'm00'),
      ].sort(),
    );
    const newcomer = net.routers.get('a-new') as CtpRouter<Peer>;
    expect(newcomer.nodes()).toEqual(
      ['far', 'farther', 'fresh', ...Array.from({ length: n }, (_, i) => `node${i}`)].sort(),
    );
    // A request across the bus and the island works.
    const p = newcomer.register('farther', 'controller');
    await net.settle();
    expect(await p).toEqual({ code: ReturnCode.SUCCESS });
    await net.close();
  });

  it('a member leaving: only the pseudo-node advert changes; the DR leaving: a new DR, each member re-lists once', async () => {
    const net = await bus(8);
    net.leave('m04');
    let d = await net.settle();
    expect([...new Set(d.filter((x) => x.kind === 'bus-broadcast').flatMap(origins))]).toEqual([
      pseudoNodeId('bus1', 'm00'),
    ]);
    for (const [id, r] of net.routers) if (id !== 'm04') expect(r.nodes()).not.toContain('node4');
    net.leave('m00');
    d = await net.settle();
    const q1 = pseudoNodeId('bus1', 'm01');
    for (const [id, r] of net.routers) {
      if (id === 'm00' || id === 'm04') continue;
      expect(r.snapshot().neighbors).toEqual([q1]);
      expect(r.nodes()).toEqual(['node1', 'node2', 'node3', 'node5', 'node6', 'node7']);
    }
    // Each of the 6 members re-lists once (OSPF does the same when its DR changes): 6 adverts × 5 other members, plus the new pseudo-node's.
    expect(d.filter((x) => x.kind === 'bus-broadcast').length).toBeLessThanOrEqual(7 * 6 + 6);
    await net.close();
  });

  it('a router on point-to-point links and the bus forwards between them', async () => {
    const net = await bus(4);
    net.add('island', ['lamp']);
    net.add('far', ['fan']);
    net.link('island', 'm02');
    net.link('far', 'island');
    await net.settle();
    const m00 = net.routers.get('m00') as CtpRouter<Peer>;
    expect(m00.nodes()).toEqual(['fan', 'lamp', 'node0', 'node1', 'node2', 'node3']);
    expect(m00.snapshot().routers.far).toMatchObject({ reachable: true, nextHop: 'm02' });
    const far = net.routers.get('far') as CtpRouter<Peer>;
    // The bridge lists the bus pseudo-node and its point-to-point neighbor.
    expect((net.routers.get('m02') as CtpRouter<Peer>).snapshot().neighbors.sort()).toEqual(
      ['island', pseudoNodeId('bus1', 'm00')].sort(),
    );
    const p = far.register('node1', 'controller');
    await net.settle();
    expect(await p).toEqual({ code: ReturnCode.SUCCESS });
    const c = far.command('node1', 'x', 1);
    await net.settle();
    expect(await c).toEqual({ code: ReturnCode.SUCCESS, content: { at: 'm01', app: 'x' } });
    // A change on the island: one publish on the bus, not re-flooded onto it by the members.
    (net.routers.get('far') as CtpRouter<Peer>).appendNodes('fan2');
    const d = await net.settle();
    expect(d.filter((x) => x.kind === 'bus-broadcast' && origins(x).includes('far')).length).toBe(
      3,
    );
    await net.close();
  });

  it('a neighbor already linked point-to-point joins the bus, then the link goes: the DR lists it, both drop the link (seed 900608)', async () => {
    const net = await bus(3);
    const q = pseudoNodeId('bus1', 'm00');
    net.add('x', ['xn']);
    for (const m of ['m00', 'm01', 'm02']) net.link('x', m);
    await net.settle();
    // Every bus peer binds a router id already heard through a link: the members in view changed all the same.
    net.join('x');
    await net.settle();
    const m00 = net.routers.get('m00') as CtpRouter<Peer>;
    const x = net.routers.get('x') as CtpRouter<Peer>;
    // What m02 stores of `origin`'s advert (the snapshot's own `neighbors` is computed, not what was sent).
    const stored = (origin: string): string[] => [
      ...((net.routers.get('m02') as CtpRouter<Peer>).snapshot().routers[origin]?.neighbors ?? []),
    ];
    expect(stored(q)).toEqual(['m00', 'm01', 'm02', 'x']);
    expect(stored('x')).toEqual(['m00', 'm01', 'm02', q].sort());
    // The links go while the bus stays: a second peer of the same router id unbound.
    for (const m of ['m00', 'm01', 'm02']) net.unlink('x', m);
    await net.settle();
    expect(stored('x')).toEqual([q]);
    expect(stored('m00')).toEqual([q]);
    expect(m00.snapshot().neighbors).toEqual([q]);
    expect(x.snapshot().neighbors).toEqual([q]);
    for (const r of net.routers.values()) expect(r.nodes()).toContain('xn');
    expect((net.routers.get('m02') as CtpRouter<Peer>).snapshot().routers.x).toMatchObject({
      reachable: true,
      nextHop: 'x',
    });
    await net.close();
  });

  it('a member that loses another member whose hinterland stays reachable sends a newcomer what it left to that member (seed 305054)', async () => {
    // b and c on the bus, also linked; far lies behind c only. A newcomer `a` comes up at b
    // while c, about to go, never hears it (the events of a split, in b's order).
    const net = new Net();
    for (const id of ['a', 'b', 'c', 'far']) net.add(id, [`${id}-node`]);
    net.link('b', 'c');
    net.link('c', 'far');
    net.join('b');
    net.join('c');
    await net.settle();
    const b = net.routers.get('b') as CtpRouter<Peer>;
    const c = net.routers.get('c') as CtpRouter<Peer>;
    const a = net.routers.get('a') as CtpRouter<Peer>;
    // b's table to `a` leaves out c and far (c is a member: it would send them).
    net.members.add('a');
    const ab: Peer = { at: 'a', remote: 'b', kind: 'bus' };
    const ba: Peer = { at: 'b', remote: 'a', kind: 'bus' };
    net.busPeers.set('a|b', ab);
    net.busPeers.set('b|a', ba);
    b.peerUp(ba, { medium: 'bus1' });
    a.peerUp(ab, { medium: 'bus1' });
    // c leaves the bus before it heard `a`; the link b–c stays.
    const bc = net.busPeers.get('b|c') as Peer;
    const cb = net.busPeers.get('c|b') as Peer;
    net.members.delete('c');
    net.busPeers.delete('b|c');
    net.busPeers.delete('c|b');
    b.peerDown(bc);
    c.peerDown(cb);
    const d = await net.settle();
    // b sends far's advert on the bus again (nobody else has a reason to); a reaches everything.
    const toA = d.filter((x) => x.to === 'a').flatMap(origins);
    expect(toA.filter((o) => o === 'far')).toHaveLength(1);
    expect(a.nodes()).toEqual(['a-node', 'b-node', 'c-node', 'far-node']);
    await net.close();
  });

  it('a split that takes a member’s pairs one by one: its last publish, heard by one side only, is published again there (seed 104234)', async () => {
    // a (the DR), b, d, x on the bus; b–d also linked. The bus splits {b, x} from {a, d},
    // x's pair with a first: x chooses b and publishes its advert, which b and d hear, a not.
    const net = new Net();
    for (const id of ['a', 'b', 'd', 'x']) net.add(id, [`${id}-node`]);
    for (const id of ['a', 'b', 'd', 'x']) net.join(id);
    net.link('b', 'd');
    await net.settle();
    const pairDown = (p: string, q: string): void => net.pairDown(p, q);
    pairDown('a', 'x');
    await net.settle();
    pairDown('a', 'b');
    pairDown('b', 'd');
    await net.settle();
    const a = net.routers.get('a') as CtpRouter<Peer>;
    const d = net.routers.get('d') as CtpRouter<Peer>;
    // d now reaches x through b (point-to-point) and b's pseudo-node, not through x's pair.
    expect(d.snapshot().routers.x).toMatchObject({ reachable: true, nextHop: 'b' });
    pairDown('d', 'x');
    const after = await net.settle();
    // d publishes x's advert again (x publishes nothing new: its DR and list stay the same).
    const onBus = after.filter((x) => x.from === 'd' && x.to === 'a').flatMap(origins);
    expect(onBus).toContain('x');
    expect(a.nodes()).toEqual(['a-node', 'b-node', 'd-node', 'x-node']);
    expect(a.snapshot().routers.x).toMatchObject({ reachable: true, nextHop: 'd' });
    await net.close();
  });

  it('a DR that steps down and is DR again within the pacing interval: a restarted member still gets its pseudo-node', async () => {
    // A long interval (60 s, not the default 500 ms): what follows is surely within it.
    const paced = { minAdvertIntervalMs: 60_000 };
    const net = new Net();
    for (const id of ['b', 'c']) net.add(id, [`${id}-node`], paced);
    net.join('b');
    net.join('c');
    await net.settle(); // b is DR and has originated bus:bus1:b [b, c]
    net.leave('c'); // b alone: no DR
    await (net.routers.get('c') as CtpRouter<Peer>).close();
    // c restarted (an empty table) joins at once: b is DR again, its stored pseudo-node matches
    // the view again, and its origination is paced (the interval has not passed): the DR's table
    // to a newcomer carries its pseudo-node (tableSkip keeps it), so c is not left without one.
    const c = net.add('c', ['c-node'], paced);
    net.join('c');
    const d = await net.settle();
    const q = pseudoNodeId('bus1', 'b');
    expect(d.filter((x) => x.from === 'b' && x.to === 'c').flatMap(origins)).toContain(q);
    expect(c.nodes()).toEqual(['b-node', 'c-node']);
    await net.close();
  });

  it('a member leaving a bus without other links costs no re-sent adverts', async () => {
    const net = await bus(5);
    net.leave('m03');
    const d = await net.settle();
    // Only the DR's new pseudo-node is published (m03's part is gone with it).
    expect([...new Set(d.filter((x) => x.kind === 'bus-broadcast').flatMap(origins))]).toEqual([
      pseudoNodeId('bus1', 'm00'),
    ]);
    await net.close();
  });

  it('an invalid medium id is reported, not thrown', () => {
    const r = new CtpRouter<object>(
      () => {},
      () => {},
      () => {},
      { id: 'x' },
    );
    const errors: Error[] = [];
    r.on('error', (e) => errors.push(e));
    r.peerUp({}, { medium: 'bad medium!' });
    expect(errors).toHaveLength(1);
    expect(r.snapshot().neighbors).toEqual([]);
  });
});

describe('a broadcast medium with signed adverts', () => {
  const dir = new URL('../fixtures/tls/', import.meta.url);
  const pem = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
  const identity = (name: string) => ({
    key: pem(`${name}.key`),
    cert: pem(`${name}.crt`),
    ca: pem('ca.crt'),
  });

  it('the DR signs its pseudo-node advert; members verify it against the DR named in its id, and refuse any other signer', async () => {
    const net = new Net();
    const ids = ['console', 'relay', 'station', 'viewer'];
    const drops: { at: string; reason: string; origin?: string }[] = [];
    for (const id of ids) {
      const r = net.add(id, [`cam-${id}`], { identity: identity(id) });
      r.on('dropped', (d) => drops.push({ at: id, reason: d.reason, origin: d.origin }));
    }
    for (const id of ids) net.join(id);
    await net.settle();
    const q = pseudoNodeId('bus1', 'console');
    for (const id of ids) {
      const r = net.routers.get(id) as CtpRouter<Peer>;
      expect(r.snapshot().neighbors).toEqual([q]);
      expect(r.nodes()).toEqual(ids.map((x) => `cam-${x}`));
    }
    expect(drops).toEqual([]);
    // mallory (a genuine certificate of the same CA) forges the pseudo-node's advert, dropping everyone from it.
    const forged = { origin: q, seq: Date.now() + 10_000_000, nodes: [], neighbors: ['mallory'] };
    const sig = sign(
      'sha256',
      Buffer.from(canonicalAdvert(forged)),
      createPrivateKey(pem('mallory.key')),
    ).toString('base64');
    const cert = new X509Certificate(pem('mallory.crt')).raw.toString('base64');
    const relay = net.routers.get('relay') as CtpRouter<Peer>;
    relay.receive(
      net.busPeers.get('relay|station') as Peer,
      JSON.stringify({
        v: 1,
        t: 'REPORTNODE',
        from: 'station',
        adverts: [{ ...forged, sig, cert }],
      }),
    );
    await net.settle();
    expect(drops).toEqual([{ at: 'relay', reason: 'bad-signature', origin: q }]);
    expect(relay.nodes()).toEqual(ids.map((x) => `cam-${x}`));
    await net.close();
  });
});

describe('CtpMedia.tableSkip: what a member leaves out of its table to another member', () => {
  /** A media part over a fake table: `self`, members bound on medium `m` (and `p2p` ids over links), first hops by origin. */
  function media(
    self: string,
    members: string[],
    hops: Record<string, string>,
    p2p: string[] = [],
  ) {
    const bound = new Map<string, string>([...members, ...p2p].map((id) => [`peer-${id}`, id]));
    const m = new CtpMedia<string>({
      id: self,
      stored: () => undefined,
      boundId: (p) => bound.get(p),
      boundPeers: () => new Map([...bound].map(([peer, id]) => [id, [peer]])),
      neighborIds: () => [],
      touchOwn: () => {},
      firstHop: (o) => hops[o],
    });
    for (const id of members) m.up(`peer-${id}`, 'm');
    for (const id of p2p) m.changed(id);
    m.reconcile(0);
    return m;
  }

  it('leaves out what lies behind the medium and the pseudo-node its DR sends; keeps the rest, the other side of a split included', () => {
    // b is the DR (lowest id); x lies behind b on the medium, y behind this router's own link, q is another pseudo-node of m (a split's other side) reached over y.
    const hops = {
      b: 'b',
      c: 'c',
      x: 'b',
      y: 'y',
      z: 'y',
      [pseudoNodeId('m', 'b')]: 'b',
      [pseudoNodeId('m', 'q')]: 'y',
    };
    const skip = media('k', ['b', 'c'], hops, ['y']).tableSkip('peer-c');
    expect(skip).toBeDefined();
    const left = Object.keys(hops)
      .filter((o) => skip?.skips(o) === true)
      .sort();
    expect(left).toEqual(['b', 'c', 'x', pseudoNodeId('m', 'b')].sort());
    // A point-to-point neighbor: no shortcut, every origin is asked.
    expect(skip?.only).toBeUndefined();
    // Point-to-point peers get everything.
    expect(media('k', ['b', 'c'], hops).tableSkip('elsewhere')).toBeUndefined();
  });

  it('the DR sends its own pseudo-node', () => {
    const hops = { b: 'b', [pseudoNodeId('m', 'a')]: 'b' };
    const skip = media('a', ['b', 'c'], hops).tableSkip('peer-b');
    expect(skip?.skips(pseudoNodeId('m', 'a'))).toBe(false);
    expect(skip?.skips('b')).toBe(true);
  });

  it('on a plain bus (one medium, no point-to-point neighbor) `only` names what `skips` keeps, without asking each origin', () => {
    const q = (dr: string): string => pseudoNodeId('m', dr);
    // a is the DR (lowest id): it keeps its own pseudo-node; c is not and keeps nothing.
    for (const [self, hops] of [
      ['a', { b: 'b', c: 'c', x: 'b', [q('a')]: q('a') }],
      ['c', { a: 'a', b: 'b', x: 'b', [q('a')]: q('a') }],
    ] as const) {
      const skip = media(
        self,
        ['a', 'b', 'c'].filter((id) => id !== self),
        hops,
      ).tableSkip('peer-b');
      const kept = Object.keys(hops).filter((o) => skip?.skips(o) === false);
      expect(skip?.only).toEqual(kept);
      expect(kept).toEqual(self === 'a' ? [q('a')] : []);
    }
    // Not yet reached: not sent either way.
    const early = media('a', ['b'], { b: 'b' }).tableSkip('peer-b');
    expect(early?.only).toEqual([]);
  });
});

describe('CtpMedia: the DR choice', () => {
  /** The DR `self` chooses among `members`, given what each member's own advert lists. */
  function dr(
    self: string,
    members: string[],
    lists: Record<string, string[]>,
  ): string | undefined {
    const bound = new Map<string, string>(members.map((id) => [`peer-${id}`, id]));
    const m = new CtpMedia<string>({
      id: self,
      stored: (o) =>
        lists[o] === undefined
          ? undefined
          : { seq: 1, neighbors: lists[o] as string[], neighborSet: new Set(lists[o]) },
      boundId: (p) => bound.get(p),
      boundPeers: () => new Map([...bound].map(([peer, id]) => [id, [peer]])),
      neighborIds: () => [],
      touchOwn: () => {},
      firstHop: () => undefined,
    });
    for (const id of members) m.up(`peer-${id}`, 'm');
    m.reconcile(0);
    const q = [...m.attached()][0];
    return q === undefined ? undefined : [self, ...members].find((c) => pseudoNodeId('m', c) === q);
  }
  const p = (c: string): string => pseudoNodeId('m', c);

  it('the lowest member that declares itself DR (its advert lists its own pseudo-node), whatever the others list', () => {
    // c and d declare; b and e follow d: c still wins (the lower declared), and a newcomer a adopts it.
    expect(
      dr('a', ['b', 'c', 'd', 'e'], { b: [p('d')], c: [p('c')], d: [p('d')], e: [p('d')] }),
    ).toBe('c');
  });

  it('with none declared, the lowest id in view; lists of DRs that do not declare count for nothing', () => {
    // The three-way circle of seed 1544: each lists another, nobody lists itself.
    expect(dr('r4', ['r2', 'r3'], { r2: [p('r3')], r3: [p('r2')] })).toBe('r2');
    expect(dr('b', ['c'], { c: [] })).toBe('b');
  });

  it('a newcomer waits while members list a DR it does not hear yet', () => {
    expect(dr('a', ['b', 'c'], { b: [p('z')], c: [p('z')] })).toBeUndefined();
  });
});
