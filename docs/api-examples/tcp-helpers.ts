import {
  backoffDelay,
  certificateId,
  formatAddress,
  parseAddress,
  parseTarget,
  TCP_DEFAULTS,
} from 'ctp-router/tcp';
import { readFileSync } from 'node:fs';

// #region parseAddress
console.log(parseAddress('[::1]:7000')); // { host: '::1', port: 7000 }
console.log(parseAddress('127.0.0.1:0', true)); // port 0 allowed: listen on any free port
console.log(parseAddress('nope')); // undefined
// #endregion parseAddress

// #region formatAddress
console.log(formatAddress({ host: '::1', port: 7000 })); // [::1]:7000
// #endregion formatAddress

// #region parseTarget
console.log(parseTarget('station@10.0.0.2:7000')); // { address: { host: '10.0.0.2', port: 7000 }, id: 'station' }
// #endregion parseTarget

// #region backoffDelay
const r = { initialDelayMs: 100, maxDelayMs: 5_000, factor: 2, jitter: 0 };
console.log(backoffDelay(r, 3)); // 800
const { initialDelayMs, maxDelayMs, factor } = TCP_DEFAULTS;
console.log(backoffDelay({ initialDelayMs, maxDelayMs, factor, jitter: 0.2 }, 10)); // 5000 at most
// #endregion backoffDelay

// #region certificateId
const id = certificateId(readFileSync('station.crt')); // the certificate's CN: the router id
if (id === undefined) throw new Error('station.crt names no valid router id');
// #endregion certificateId
