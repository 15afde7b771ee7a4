import { CtpRouter, type CtpRouterOptions } from 'ctp-router';

const options: CtpRouterOptions<string> = {
  id: 'station', // unique on the network
  nodes: ['pump', 'valve'], // the nodes this router hosts
  responseTimeoutMs: 5_000, // requests resolve TIMEOUT after this
  leaseGraceMs: 10_000, // a registration survives its other side being unreachable this long
  maxControlIdleMs: 60_000, // the cap on a controller's idle timeout at this host
  authorize: (peer, msg) => peer !== 'untrusted' || msg.t === 'REPORTNODE',
};
const router = new CtpRouter<string>(
  () => {},
  () => {},
  () => {},
  options,
); // an unknown or bad option throws CtpArgumentError
await router.close();
