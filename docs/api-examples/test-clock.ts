import assert from 'node:assert/strict';
import { CtpRouter } from 'ctp-router';
import { CtpTestClock } from 'ctp-router/testing';

// #region class
const clock = new CtpTestClock(); // the system's time plus an offset that advance() moves
const router = new CtpRouter(
  () => {},
  () => {},
  () => {},
  { id: 'a', clock },
);
const t0 = clock.now();
let fired = false;
const handle = clock.setTimeout(() => (fired = true), 5_000);
clock.advance(5_000); // fires every timer due on the way, in order
assert.equal(fired, true);
assert.ok(clock.now() - t0 >= 5_000);
clock.clearTimeout(handle); // (a no-op once fired)
console.log(clock.pending, clock.nextPacing()); // timers left; the next advert-pacing one, if any
while (clock.step(clock.now() + 60_000)); // timer by timer, up to a limit
await router.close();
// #endregion class
