/** What `svcbot sandbox` tells the operator when the data plane cannot open a loopback listener. */
import { bindFailureMessage } from '../../../sandbox/main.js';

test.each([
  [
    { address: '127.1.2.3', port: 80, code: 'EACCES', message: 'listen EACCES: permission denied 127.1.2.3:80' },
    'cannot listen on 127.1.2.3:80 (EACCES): ports under 1024 need root or CAP_NET_BIND_SERVICE (or sysctl net.ipv4.ip_unprivileged_port_start=80); connections to it are refused.',
  ],
  [
    { address: '127.0.9.11', port: 30080, code: 'EADDRINUSE', message: 'listen EADDRINUSE: address already in use 127.0.9.11:30080' },
    'cannot listen on 127.0.9.11:30080 (EADDRINUSE): something else holds it; connections go there instead.',
  ],
  [
    { address: '127.0.9.11', port: 30080, code: 'EADDRNOTAVAIL', message: 'listen EADDRNOTAVAIL' },
    'cannot listen on 127.0.9.11:30080 (EADDRNOTAVAIL): listen EADDRNOTAVAIL',
  ],
])('%o', (failure, message) => {
  expect(bindFailureMessage(failure)).toBe(message);
});
