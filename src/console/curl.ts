/**
 * The console's `curl URL`: fetches an address svcbot posted (a load balancer's `HOST:PORT`, a node's
 * `IP:NODEPORT`), its host resolved through the DNS servers svcbot uses (`DNS_SERVERS`: the sandbox's,
 * in the sandbox) — so a newcomer sees what answers behind the address, which the terminal's own curl
 * could not resolve. Plain HTTP GET, one answer, bounded in time and size; every failure in words.
 */
import http from 'node:http';
import { isIP } from 'node:net';
import { Resolver } from 'node:dns/promises';
import { formatDnsServer, type DnsServer } from '../config/index.js';

/** Most of a body shown (characters). */
const MAX_BODY = 2000;
const DEFAULT_TIMEOUT_MS = 5000;

const USAGE = 'Usage: curl URL — e.g. `curl http://HOST:8080` or `curl HOST:8080` (an address svcbot posted).';

export interface ConsoleCurlOptions {
  dnsServers: readonly DnsServer[];
  timeoutMs?: number;
}

/** `curl …` lines: the text to print (a promise), or undefined for any other line. */
export function consoleCurl(line: string, options: ConsoleCurlOptions): Promise<string> | undefined {
  const m = /^curl(?:\s+(.*))?$/i.exec(line.trim());
  if (!m) return undefined;
  const args = (m[1] ?? '').split(/\s+/).filter((a) => a !== '' && !/^-[sSLi]+$/.test(a)); // curl's quiet/follow flags mean nothing here
  if (args.length !== 1) return Promise.resolve(USAGE);
  const raw = args[0]!;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    return Promise.resolve(`"${raw}" is not a URL. ${USAGE}`);
  }
  if (url.protocol !== 'http:') return Promise.resolve(`Only http:// here (got ${url.protocol}//): svcbot's endpoints are plain HTTP or TCP.`);
  return fetchOnce(url, options);
}

async function fetchOnce(url: URL, options: ConsoleCurlOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let address = host;
  if (isIP(host) === 0) {
    const resolver = new Resolver({ timeout: Math.min(timeoutMs, 2000), tries: 1 });
    if (options.dnsServers.length > 0) resolver.setServers(options.dnsServers.map(formatDnsServer));
    const where = options.dnsServers.length > 0 ? `the DNS servers svcbot uses (${options.dnsServers.map(formatDnsServer).join(', ')})` : 'the system resolver';
    const found = await resolver.resolve4(host).catch((err: unknown) => ({ error: (err as { code?: string }).code ?? String(err) }));
    if (!Array.isArray(found)) return `${host} does not resolve through ${where}: ${found.error}. A new load balancer's name can take minutes to resolve.`;
    if (found.length === 0) return `${host} does not resolve yet through ${where}. A new load balancer's name can take minutes to resolve.`;
    address = found[0]!;
  }
  const port = Number(url.port || 80);
  const target = address === host ? `${host}:${port}` : `${host} (${address}):${port}`;
  return new Promise<string>((resolve) => {
    const req = http.get({ host: address, port, path: `${url.pathname}${url.search}`, headers: { host: url.host, 'user-agent': 'svcbot-console' }, timeout: timeoutMs }, (res) => {
      res.setEncoding('utf8');
      let body = '';
      res.on('data', (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      res.on('end', () => {
        const shown = body.length > MAX_BODY ? `${body.slice(0, MAX_BODY)}\n… (${MAX_BODY} characters shown)` : body;
        resolve(`${target} answered HTTP ${res.statusCode ?? '?'} ${res.statusMessage ?? ''}`.trimEnd() + (shown === '' ? ' (no body)' : `\n${shown.trimEnd()}`));
      });
      res.on('error', (err) => resolve(`${target} broke off its answer: ${err.message}`));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(failure(target, err.code ?? err.message, timeoutMs)));
  });
}

/** A connection that failed, in words. */
function failure(target: string, code: string, timeoutMs: number): string {
  switch (code) {
    case 'ECONNREFUSED':
      return `${target} refused the connection: nothing listens there (no node port or listener on that port).`;
    case 'ECONNRESET':
      return `${target} reset the connection: nothing behind it answers (no ready pod behind the Service, no instance in service, or a security group that does not let you in).`;
    case 'ETIMEDOUT':
      return `${target} did not answer within ${timeoutMs / 1000} s.`;
    default:
      return `${target} could not be reached: ${code}.`;
  }
}
