'use strict';
// Preloaded into bcoin by ./start (node -r). bcoin 1.0.2's Pool, when it
// listens and knows no routable local address (a loopback-only node never
// does), asks OpenDNS's resolvers for myip.opendns.com (bdns getIPv4 /
// getIPv6). That is traffic beyond loopback. Make those two lookups fail at
// once, as they would offline; bcoin logs "Could not find external IPv4
// (dns)." and carries on. Nothing else in bcoin is changed.
const path = require('path');

const bcoinDir = process.env.PS_BCOIN_DIR;
if (!bcoinDir)
  throw new Error('no-external-ip.js: PS_BCOIN_DIR is not set');

// Resolve bdns from bcoin's own directory, so this is the very module
// object that bcoin's pool.js gets from require('bdns').
const bdns = require(require.resolve('bdns', { paths: [path.join(bcoinDir, 'lib')] }));

const refuse = async () => {
  throw new Error('external IP lookup disabled by peershake (loopback only)');
};

bdns.getIPv4 = refuse;
bdns.getIPv6 = refuse;
