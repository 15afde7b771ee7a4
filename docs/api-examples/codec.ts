import { CtpDecodeError, decode, encode } from 'ctp-router';

// #region encode
const line = encode({ v: 1, t: 'POST', node: 'pump', content: { rpm: 300 } });
console.log(line); // {"v":1,"t":"POST","node":"pump","content":{"rpm":300}}
// #endregion encode

// #region decode
try {
  const msg = decode(line); // a CtpMessage, discriminated on `t`
  if (msg.t === 'POST') console.log(msg.node, msg.content);
} catch (err) {
  if (err instanceof CtpDecodeError) console.error('refused:', err.reason); // e.g. malformed
}
// #endregion decode
