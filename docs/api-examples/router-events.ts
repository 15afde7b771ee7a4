import { connectRouter } from 'ctp-router';

const router = await connectRouter({ id: 'console', tcp: { connect: ['127.0.0.1:7000'] } });

// #region nodes
router.on('nodes', (nodes) => console.log('reachable:', nodes.join(', ')));
// #endregion nodes

// #region registered
router.on('registered', (e) => console.log(`${e.type} of ${e.node} at ${e.host}`));
// #endregion registered

// #region unregistered
router.on('unregistered', (e) => console.log(`no longer ${e.type} of ${e.node}`, e.code));
// #endregion unregistered

// #region released
router.on('released', (e) => console.log(`${e.registrant} dropped as ${e.type} of ${e.node}`));
// #endregion released

// #region lost
router.on('lost', (e) => console.warn(`lost ${e.type} of ${e.node}: ${e.reason}`, e.code));
// #endregion lost

// #region timeout
router.on('timeout', (e) => console.warn(`${e.op} on ${e.node} timed out`));
// #endregion timeout

// #region dropped
router.on('dropped', (e) => console.warn('dropped', e.reason, e.t, e.node, e.message));
// #endregion dropped

// #region conflict
router.on('conflict', (c) =>
  console.error(
    c.kind === 'node' ? `${c.node} hosted by ${c.hosts.join(' and ')}` : `id ${c.id} in use twice`,
  ),
);
// #endregion conflict

// #region error
router.on('error', (err) => console.error(err.code, err.message)); // the router carries on
// #endregion error

// #region close
router.on('close', () => console.log('closed'));
// #endregion close
