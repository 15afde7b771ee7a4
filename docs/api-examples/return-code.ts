import { connectRouter, isReturnCode, ReturnCode } from 'ctp-router';

const router = await connectRouter({ id: 'console', tcp: { connect: ['127.0.0.1:7000'] } });
const r = await router.command('pump', 'motor', { speed: 3 });
switch (r.code) {
  case ReturnCode.SUCCESS:
    console.log(r.content);
    break;
  case ReturnCode.NOT_ASSIGNED: // not the controller: register first
  case ReturnCode.NODE_UNFOUND: // no router hosts `pump`
  case ReturnCode.TIMEOUT: // no response within timeoutMs
    console.warn(r.code);
    break;
  default: // ERROR (see r.reason), REJECTED, IN_PROGRESS (one in flight already)
    console.error(r.code, r.reason);
}
console.log(isReturnCode('SUCCESS'), isReturnCode('OK')); // true false
await router.close();
