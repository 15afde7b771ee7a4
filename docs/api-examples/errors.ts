import {
  connectRouter,
  CtpArgumentError,
  CtpCallbackError,
  CtpClosedError,
  CtpDecodeError,
  CtpError,
  CtpInternalError,
  CtpTimeoutError,
  jsonCodec,
} from 'ctp-router';

const router = await connectRouter({ id: 'console', tcp: { connect: ['127.0.0.1:7000'] } });

// #region CtpError
try {
  await router.waitForNode('pump', { timeoutMs: 1_000 });
} catch (err) {
  if (err instanceof CtpError) console.error(err.code, err.message); // every error of this package
}
// #endregion CtpError

// #region CtpArgumentError
await router.register('', 'controller').catch((err: unknown) => {
  if (err instanceof CtpArgumentError) console.error(err.code); // ERR_CTP_INVALID_ARG (a TypeError)
});
// #endregion CtpArgumentError

// #region CtpClosedError
await router.close();
await router.command('pump', 'app', {}).catch((err: unknown) => {
  if (err instanceof CtpClosedError) console.error(err.code); // ERR_CTP_CLOSED
});
// #endregion CtpClosedError

// #region CtpTimeoutError
const other = await connectRouter({ id: 'console2', tcp: { connect: ['127.0.0.1:7000'] } });
await other.waitForNode('pump', { timeoutMs: 1_000 }).catch((err: unknown) => {
  if (err instanceof CtpTimeoutError) console.error('pump is not reachable'); // ERR_CTP_TIMEOUT
});
// #endregion CtpTimeoutError

// #region CtpCallbackError
other.on('error', (err) => {
  if (err instanceof CtpCallbackError) console.error(err.callback, 'threw:', err.cause);
  else if (err instanceof CtpInternalError) console.error('router fault:', err.message);
});
// #endregion CtpCallbackError

// #region CtpDecodeError
try {
  jsonCodec.decode('{"t":"NOPE"}');
} catch (err) {
  if (err instanceof CtpDecodeError) console.error(err.reason); // a DropReason such as `unknown-type`
}
// #endregion CtpDecodeError
await other.close();
