/// <reference types="node" preserve="true" />
/**
 * `ctp-router/testing`: helpers for testing host code without sockets.
 *
 * @packageDocumentation
 * @module ctp-router/testing
 */
export { CtpTestNetwork } from './network.js';
export type {
  CtpTestPeer,
  CtpTestRouterOptions,
  CtpTestFrame,
  CtpTestReceivedCallback,
  CtpTestNodesUpdatedCallback,
} from './network.js';
export { CtpTestClock } from './clock.js';
