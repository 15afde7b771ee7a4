import { LineSplitter } from 'ctp-router/tcp';

// #region class
const splitter = new LineSplitter(
  1024 * 1024, // maxLineBytes: a longer line is skipped, never buffered whole
  (line) => console.log('frame:', line.toString('utf8')), // return false to stop this chunk
  (bytes) => console.warn(`oversized line skipped after ${bytes} bytes`),
);
splitter.push(Buffer.from('{"v":1,"t":"UPDATENODE"}\n{"v":1,')); // one line, the rest is held
console.log(splitter.buffered); // 7
splitter.push(Buffer.from('"t":"REPORTNODE"}\n'));
splitter.reset(); // forget any partial line (a new connection)
// #endregion class
