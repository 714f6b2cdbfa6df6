import type { PortSpec } from '../../../src/domain/command.js';
import { checkPorts, formatPort, parsePort } from '../../../src/domain/grammar/ports.js';
import { GrammarProblem } from '../../../src/domain/grammar/problem.js';

function problemOf(fn: () => unknown): { problem: string; suggestion?: string } {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof GrammarProblem)) throw err;
    return err.suggestion === undefined ? { problem: err.problem } : { problem: err.problem, suggestion: err.suggestion };
  }
  throw new Error('expected a GrammarProblem');
}

describe('parsePort', () => {
  test.each<[string, PortSpec]>([
    ['80', { port: 80, protocol: 'TCP' }],
    ['8080:80', { port: 8080, targetPort: 80, protocol: 'TCP' }],
    ['1', { port: 1, protocol: 'TCP' }],
    ['65535:65535', { port: 65535, targetPort: 65535, protocol: 'TCP' }],
    ['080', { port: 80, protocol: 'TCP' }],
    ['http=8080:80', { name: 'http', port: 8080, targetPort: 80, protocol: 'TCP' }],
    ['80:http', { port: 80, targetPort: 'http', protocol: 'TCP' }],
    ['web=80:web-port', { name: 'web', port: 80, targetPort: 'web-port', protocol: 'TCP' }],
    ['dns=53/udp', { name: 'dns', port: 53, protocol: 'UDP' }],
    ['53/UDP', { port: 53, protocol: 'UDP' }],
    ['53:5353/Udp', { port: 53, targetPort: 5353, protocol: 'UDP' }],
    ['80/tcp', { port: 80, protocol: 'TCP' }],
    ['sctp=9999:9998/sctp', { name: 'sctp', port: 9999, targetPort: 9998, protocol: 'SCTP' }],
  ])('%s', (input, expected) => {
    expect(parsePort(input)).toEqual(expected);
  });

  const NAME_RULE =
    'use at most 15 lowercase letters, digits and "-", with at least one letter, no "--" and no "-" at either end';
  const TARGET_RULE =
    'use a number 1–65535 or the name of a container port (at most 15 lowercase letters, digits and "-", with at least one letter)';
  test.each<[string, { problem: string; suggestion?: string }]>([
    ['0', { problem: 'port 0 is out of range: use 1–65535' }],
    ['65536', { problem: 'port 65536 is out of range: use 1–65535' }],
    ['99999999999999999999999', { problem: 'port 99999999999999999999999 is out of range: use 1–65535' }],
    ['-1', { problem: '"-1" is not a port number: use 1–65535' }],
    ['8o', { problem: '"8o" is not a port number: use 1–65535' }],
    ['http', { problem: '"http" is not a port number: use 1–65535 (to name a port, write NAME=PORT, e.g. http=80)' }],
    ['a=b', { problem: '"b" is not a port number: use 1–65535' }],
    ['80:0', { problem: 'target port 0 is out of range: use 1–65535' }],
    ['80:70000', { problem: 'target port 70000 is out of range: use 1–65535' }],
    ['80:Http', { problem: `"Http" is not a valid target port: ${TARGET_RULE}` }],
    ['80:my_port', { problem: `"my_port" is not a valid target port: ${TARGET_RULE}` }],
    ['80:', { problem: '--port "80:" has nothing after ":": give the target port or drop the ":"' }],
    [':80', { problem: '--port ":80" has no port number: use [NAME=]PORT[:TARGETPORT], e.g. 8080:80' }],
    ['http=', { problem: '--port "http=" has no port number: use [NAME=]PORT[:TARGETPORT], e.g. 8080:80' }],
    ['1:2:3', { problem: '--port "1:2:3" has more than one ":": use PORT:TARGETPORT, e.g. 8080:80' }],
    ['=80', { problem: '--port "=80" has an empty name before "=": use NAME=PORT, e.g. http=8080:80' }],
    ['HTTP=80', { problem: `"HTTP" is not a valid port name: ${NAME_RULE}`, suggestion: 'http' }],
    ['my--port=80', { problem: `"my--port" is not a valid port name: ${NAME_RULE}` }],
    ['-x=80', { problem: `"-x" is not a valid port name: ${NAME_RULE}` }],
    ['123=80', { problem: `"123" is not a valid port name: ${NAME_RULE}` }],
    ['abcdefghijklmnop=80', { problem: `"abcdefghijklmnop" is not a valid port name: ${NAME_RULE} (it has 16)` }],
    ['80/', { problem: '--port "80/" has nothing after "/": give a protocol (TCP, UDP or SCTP) or drop the "/"' }],
    ['80/tpc', { problem: '"tpc" is not a protocol: use TCP, UDP or SCTP', suggestion: 'TCP' }],
    ['80/icmp', { problem: '"icmp" is not a protocol: use TCP, UDP or SCTP' }],
    [
      '80/http',
      { problem: '"http" is not a protocol a Service knows: HTTP runs over TCP, so use TCP (the default)', suggestion: 'TCP' },
    ],
    [
      '443/HTTPS',
      { problem: '"HTTPS" is not a protocol a Service knows: HTTPS runs over TCP, so use TCP (the default)', suggestion: 'TCP' },
    ],
    [
      '80,443',
      { problem: '--port "80,443" holds several ports: give each port its own --port', suggestion: '--port 80 --port 443' },
    ],
    [
      'http=80, https=443',
      {
        problem: '--port "http=80, https=443" holds several ports: give each port its own --port',
        suggestion: '--port http=80 --port https=443',
      },
    ],
    [
      '<http://a.io|a.io>',
      { problem: '--port "<http://a.io|a.io>" (Slack sent it as a link) is not [NAME=]PORT[:TARGETPORT][/PROTOCOL]' },
    ],
  ])('%j is refused', (input, expected) => {
    expect(problemOf(() => parsePort(input))).toEqual(expected);
  });
});

describe('checkPorts', () => {
  const ports = (...specs: string[]): PortSpec[] => specs.map(parsePort);

  test.each([[[]], [['80']], [['8080:80/udp']], [['http=80', 'https=443']], [['dns=53/udp', 'dns-tcp=53']]])(
    'accepts %j',
    (specs) => {
      expect(() => checkPorts(ports(...specs))).not.toThrow();
    },
  );

  test.each<[string[], string]>([
    [['80', '80'], 'port 80/TCP is given twice: each port number must be different (per protocol)'],
    [['a=80', 'b=80/tcp'], 'port 80/TCP is given twice: each port number must be different (per protocol)'],
    [['a=53/udp', 'b=53/UDP'], 'port 53/UDP is given twice: each port number must be different (per protocol)'],
    [['http=80', 'http=81'], 'port name "http" is used twice: give each port its own name'],
    [
      ['8080:80', '8443:443'],
      'with more than one port, every port needs a name, like this: --port http=8080:80 --port https=8443:443',
    ],
    [
      ['80', '8080'],
      'with more than one port, every port needs a name, like this: --port http=80 --port http-8080=8080',
    ],
    [
      ['http=80', '8080'],
      'with more than one port, every port needs a name, like this: --port http=80 --port http-8080=8080',
    ],
    [
      ['81:web', '82:api', '53/udp'],
      'with more than one port, every port needs a name, like this: --port web=81:web --port api=82:api --port dns=53/UDP',
    ],
    [
      ['1234', '1234/udp'],
      'with more than one port, every port needs a name, like this: --port port-1234=1234 --port port-1234-udp=1234/UDP',
    ],
  ])('refuses %j', (specs, problem) => {
    expect(problemOf(() => checkPorts(ports(...specs)))).toEqual({ problem });
  });
});

test('formatPort writes what parsePort reads', () => {
  for (const text of ['80', '8080:80', 'http=8080:80', 'dns=53/UDP', '80:web', 'x=1:2/SCTP']) {
    expect(formatPort(parsePort(text))).toBe(text);
  }
});
