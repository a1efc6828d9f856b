// Preloaded into the Node servers (NODE_OPTIONS=--require) so that they listen on loopback only.
// CSS has no bind-address option and NSS none either: both call server.listen(port), which binds
// every interface. This gives such a call the host 127.0.0.1; calls that name a host or a socket
// path are left alone. bench/run.py checks what each server really bound before sending it load.
'use strict';
const net = require('net');

const LOOPBACK = '127.0.0.1';
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (args.length === 0 || typeof first === 'function') {
    args.unshift({ port: 0, host: LOOPBACK });
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, LOOPBACK);
  } else if (first && typeof first === 'object' && first.path === undefined && !first.host) {
    args[0] = { ...first, host: LOOPBACK };
  }
  return listen.apply(this, args);
};
