/**
 * The NATS client, `@nats-io/transport-node`: an optional peer dependency,
 * loaded when ctp-router/nats is. Without it, importing (or requiring)
 * ctp-router/nats fails with the install hint the CLI's `--nats` gives too.
 * Loaded with `require` (the client is CommonJS): a static import of a
 * missing package cannot be caught, and a top-level await would keep
 * `require('ctp-router/nats')` from working.
 */
import { createRequire } from 'node:module';
import type * as Nats from '@nats-io/transport-node';

import { firstLine, NATS_CLIENT_HINT } from '../base/install-hints.js';

export { firstLine, NATS_CLIENT_HINT };

/** The client module; throws an `Error` with `NATS_CLIENT_HINT` (the `cause`: the loader's error) when it, or a package it needs, is not installed. */
export function loadNatsClient(): typeof Nats {
  try {
    return createRequire(import.meta.url)('@nats-io/transport-node') as typeof Nats;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    throw new Error(`ctp-router/nats ${NATS_CLIENT_HINT}: ${firstLine(err)}`, { cause: err });
  }
}
