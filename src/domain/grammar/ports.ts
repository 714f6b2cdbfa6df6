/** `--port [NAME=]PORT[:TARGETPORT][/PROTOCOL]`, one at a time and as a set. */
import type { PortSpec, Protocol } from '../command.js';
import { GrammarProblem, isSlackMarkup, quote, slackNote } from './problem.js';
import { didYouMean } from '../suggest.js';
import { MAX_PORT_NAME, isPortName } from './validate.js';

const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];
const PORT_NAME_RULE =
  `use at most ${MAX_PORT_NAME} lowercase letters, digits and "-", with at least one letter, ` +
  'no "--" and no "-" at either end';

function portNumber(text: string, what: 'port' | 'target port'): number {
  const n = Number(text);
  if (n < 1 || n > 65535) throw new GrammarProblem(`${what} ${text} is out of range: use 1–65535`);
  return n;
}

function parseProtocol(raw: string, text: string): Protocol {
  if (text === '') {
    throw new GrammarProblem(`--port ${quote(raw)} has nothing after "/": give a protocol (TCP, UDP or SCTP) or drop the "/"`);
  }
  const upper = text.toUpperCase();
  const protocol = PROTOCOLS.find((p) => p === upper);
  if (protocol !== undefined) return protocol;
  if (/^(https?|h2c?|grpcs?|wss?|tls|ssl)$/i.test(text)) {
    throw new GrammarProblem(`${quote(text)} is not a protocol a Service knows: ${text.toUpperCase()} runs over TCP, so use TCP (the default)`, 'TCP');
  }
  throw new GrammarProblem(`${quote(text)} is not a protocol${slackNote(text)}: use TCP, UDP or SCTP`, didYouMean(text, PROTOCOLS));
}

function checkPortName(name: string, raw: string): string {
  if (name === '') {
    throw new GrammarProblem(`--port ${quote(raw)} has an empty name before "=": use NAME=PORT, e.g. http=8080:80`);
  }
  if (isPortName(name)) return name;
  const lower = name.toLowerCase();
  throw new GrammarProblem(
    `${quote(name)} is not a valid port name${slackNote(name)}: ${PORT_NAME_RULE}` +
      (name.length > MAX_PORT_NAME ? ` (it has ${name.length})` : ''),
    lower !== name && isPortName(lower) ? lower : undefined,
  );
}

/** One `--port` value: `8080`, `8080:80`, `http=8080:80`, `dns=53/udp`, `8080:web`, … */
export function parsePort(raw: string): PortSpec {
  if (raw.includes(',') && !isSlackMarkup(raw)) {
    throw new GrammarProblem(
      `--port ${quote(raw)} holds several ports: give each port its own --port`,
      raw
        .split(',')
        .map((p) => `--port ${p.trim()}`)
        .join(' '),
    );
  }
  if (isSlackMarkup(raw)) {
    throw new GrammarProblem(`--port ${quote(raw)}${slackNote(raw)} is not [NAME=]PORT[:TARGETPORT][/PROTOCOL]`);
  }
  const eq = raw.indexOf('=');
  const name = eq === -1 ? undefined : checkPortName(raw.slice(0, eq), raw);
  let rest = eq === -1 ? raw : raw.slice(eq + 1);
  const slash = rest.lastIndexOf('/');
  const protocol = slash === -1 ? 'TCP' : parseProtocol(raw, rest.slice(slash + 1));
  if (slash !== -1) rest = rest.slice(0, slash);
  const parts = rest.split(':');
  if (parts.length > 2) {
    throw new GrammarProblem(`--port ${quote(raw)} has more than one ":": use PORT:TARGETPORT, e.g. 8080:80`);
  }
  const [portText = '', targetText] = parts;
  if (portText === '') {
    throw new GrammarProblem(`--port ${quote(raw)} has no port number: use [NAME=]PORT[:TARGETPORT], e.g. 8080:80`);
  }
  if (!/^\d+$/.test(portText)) {
    const hint = name === undefined && isPortName(portText) && /^[a-z]/.test(portText) ? ` (to name a port, write NAME=PORT, e.g. ${portText}=80)` : '';
    throw new GrammarProblem(`${quote(portText)} is not a port number: use 1–65535${hint}`);
  }
  const spec: PortSpec = { port: portNumber(portText, 'port'), protocol };
  if (name !== undefined) spec.name = name;
  if (targetText !== undefined) spec.targetPort = parseTargetPort(raw, targetText);
  return spec;
}

function parseTargetPort(raw: string, text: string): number | string {
  if (text === '') {
    throw new GrammarProblem(`--port ${quote(raw)} has nothing after ":": give the target port or drop the ":"`);
  }
  if (/^\d+$/.test(text)) return portNumber(text, 'target port');
  if (isPortName(text)) return text;
  throw new GrammarProblem(
    `${quote(text)} is not a valid target port: use a number 1–65535 or the name of a container port ` +
      `(at most ${MAX_PORT_NAME} lowercase letters, digits and "-", with at least one letter)`,
  );
}

const WELL_KNOWN_NAMES: Readonly<Record<number, string>> = {
  22: 'ssh',
  25: 'smtp',
  53: 'dns',
  80: 'http',
  443: 'https',
  3306: 'mysql',
  5432: 'postgres',
  6379: 'redis',
  8080: 'http',
  8443: 'https',
  9090: 'metrics',
  27017: 'mongodb',
};

/** How a port is written on the command line. */
export function formatPort(p: PortSpec): string {
  const name = p.name === undefined ? '' : `${p.name}=`;
  const target = p.targetPort === undefined ? '' : `:${p.targetPort}`;
  const protocol = p.protocol === 'TCP' ? '' : `/${p.protocol}`;
  return `${name}${p.port}${target}${protocol}`;
}

/** The same ports with a (guessed, unique) name on every unnamed one. */
function withNames(ports: readonly PortSpec[]): PortSpec[] {
  const used = new Set(ports.flatMap((p) => (p.name === undefined ? [] : [p.name])));
  return ports.map((p) => {
    if (p.name !== undefined) return p;
    const guesses = [
      typeof p.targetPort === 'string' ? p.targetPort : undefined,
      WELL_KNOWN_NAMES[p.port],
      typeof p.targetPort === 'number' ? WELL_KNOWN_NAMES[p.targetPort] : undefined,
    ].flatMap((g) => (g === undefined ? [] : [g, `${g}-${p.port}`]));
    const fallback = `port-${p.port}`;
    const candidates = [...guesses, fallback, `${fallback}-${p.protocol.toLowerCase()}`];
    const name = candidates.find((c) => isPortName(c) && !used.has(c)) ?? fallback;
    used.add(name);
    return { ...p, name };
  });
}

/** The rules for a Service's ports together: unique port per protocol, unique names, names when several. */
export function checkPorts(ports: readonly PortSpec[]): void {
  const seen = new Set<string>();
  for (const p of ports) {
    const key = `${p.port}/${p.protocol}`;
    if (seen.has(key)) {
      throw new GrammarProblem(`port ${key} is given twice: each port number must be different (per protocol)`);
    }
    seen.add(key);
  }
  if (ports.length > 1 && ports.some((p) => p.name === undefined)) {
    const fix = withNames(ports)
      .map((p) => `--port ${formatPort(p)}`)
      .join(' ');
    throw new GrammarProblem(`with more than one port, every port needs a name, like this: ${fix}`);
  }
  const names = new Set<string>();
  for (const p of ports) {
    if (p.name === undefined) continue;
    if (names.has(p.name)) {
      throw new GrammarProblem(`port name ${quote(p.name)} is used twice: give each port its own name`);
    }
    names.add(p.name);
  }
}
