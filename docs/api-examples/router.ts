import { connectRouter, CtpClosedError, ReturnCode } from 'ctp-router';

// A station hosting `pump`, and a console that controls it.
const station = await connectRouter({
  id: 'station',
  nodes: ['pump'],
  tcp: { listen: { port: 7000 } },
});
const router = await connectRouter({ id: 'console', tcp: { connect: ['127.0.0.1:7000'] } });

// #region waitForNode
await router.waitForNode('pump', { timeoutMs: 5_000 }); // CtpTimeoutError after 5 s
// #endregion waitForNode

// #region start
await router.register('pump', 'controller');
const started = await router.start('pump', 'motor', { rampMs: 500 }, { timeoutMs: 2_000 });
if (started.code !== ReturnCode.SUCCESS) console.warn('start:', started.code, started.reason);
// #endregion start

// #region stop
const stopped = await router.stop('pump', 'motor');
console.log(stopped.code); // SUCCESS, NOT_ASSIGNED, NODE_UNFOUND, TIMEOUT, ...
// #endregion stop

// #region unregister
const r = await router.unregister('pump', 'controller');
if (r.code !== ReturnCode.SUCCESS) console.warn('unregister:', r.code, r.reason);
// #endregion unregister

// #region respond
const answered = station.respond('pump', { rpm: 300 }); // answers pump's open request
if (answered.code === ReturnCode.ERROR) console.warn('nothing to answer:', answered.reason);
// #endregion respond

// #region publish
station.publish('pump', { rpm: 310 }); // to pump's controller and monitors
// #endregion publish

// #region post
const posted = router.post('pump', { alarm: 'overheat' }); // the host publishes it as pump's event
if (posted.code !== ReturnCode.SUCCESS) console.warn('post:', posted.code, posted.reason);
// #endregion post

// #region appendNodes
station.appendNodes(['valve', 'tank']); // all or none: a bad name throws CtpArgumentError
station.removeNodes('tank'); // names not hosted here are ignored
// #endregion appendNodes

// #region removeNodes
station.removeNodes(['valve']);
// #endregion removeNodes

// #region nodes
console.log(router.nodes({ virtual: false })); // ['pump']
// #endregion nodes

// #region resetTable
router.resetTable(); // re-advertise and ask every peer for its table
// #endregion resetTable

// #region snapshot
const snap = router.snapshot();
for (const [name, n] of Object.entries(snap.nodes)) console.log(name, n.owner);
console.log(snap.registrations, snap.neighbors);
// #endregion snapshot

// #region stats
const { framesIn, framesOut, dropped, pending } = router.stats();
console.log({ framesIn, framesOut, dropped, pending });
// #endregion stats

// #region metrics
const m = router.metrics(); // keyed by Prometheus name; labels are fields of each sample
const commands = m.ctp_requests_total.filter((s) => s.type === 'COMMAND');
console.log(commands, m.ctp_pending_requests, m.ctp_nodes_reachable);
// #endregion metrics

// #region drain
process.once('SIGTERM', () => void router.drain({ timeoutMs: 2_000 }));
// #endregion drain

// #region close
await station.close(); // requests still pending resolve ERROR, reason `closed`
console.log(station.isClosed); // true
await station.register('pump', 'monitor').catch((err: unknown) => {
  if (err instanceof CtpClosedError) console.log(err.code); // ERR_CTP_CLOSED
});
// #endregion close
