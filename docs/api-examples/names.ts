import {
  isReservedName,
  isValidAdvertName,
  isValidPlainNodeName,
  isValidRouterId,
  parseVirtualName,
  virtualName,
} from 'ctp-router';

// #region isValidRouterId
console.log(isValidRouterId('station-1'), isValidRouterId('a b')); // true false
// #endregion isValidRouterId

// #region isValidPlainNodeName
console.log(isValidPlainNodeName('pump')); // true: a name a router may host
// #endregion isValidPlainNodeName

// #region isReservedName
console.log(isReservedName('pump')); // false: not a reserved (virtual-node) shape
// #endregion isReservedName

// #region virtualName
const name = virtualName('controller', 'pump', 'console');
console.log(name); // controller[pump]@console
console.log(isValidAdvertName(name)); // true: routers advertise virtual nodes too
// #endregion virtualName

// #region parseVirtualName
console.log(parseVirtualName('monitor[pump]@console')); // { type: 'monitor', node: 'pump', routerId: 'console' }
console.log(parseVirtualName('pump')); // undefined
// #endregion parseVirtualName
