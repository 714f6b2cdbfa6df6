/**
 * The tiny shell a simulated container runs for `kubectl exec`: the handful of commands the classic
 * tutorial types in a pod, with busybox/alpine-like output.
 *
 * - `curl [-s|-S|-i|-v|-f...] URL` and `wget -qO- URL` / `wget -O - URL`: an HTTP GET over the cluster
 *   network to a cluster IP, a pod IP, or a name through cluster DNS (`NAME:PORT`,
 *   `NAME.NS.svc.cluster.local:PORT`); curl is there once `apk add curl` has run in the pod, as in the
 *   tutorial's httpd:alpine image (which has busybox wget).
 * - `apk add PKG...` (succeeds), `cat /etc/resolv.conf`, `hostname`, `echo`, `true`, `false`, `exit [N]`,
 *   `sh -c '...'`, `;`/`&&`/`||` lists.
 * - anything else: `sh: CMD: not found`, exit 127.
 */
import { errorCode, firstAddress, isIPv4, requestOver, type InternalNetwork } from './network.js';

export interface ShellContext {
  network: InternalNetwork;
  namespace: string;
  podName: string;
  /** What `apk add` installed in this pod (kept for the pod's life). */
  installed: Set<string>;
}

export interface ShellOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const DNS_SERVICE_IP = '10.100.0.10';

/** Splits a command line into words, honouring single and double quotes and backslashes. */
function splitWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Splits a command line at `;`, `&&` and `||` outside quotes. */
function splitList(line: string): { cmd: string; op: ';' | '&&' | '||' }[] {
  const out: { cmd: string; op: ';' | '&&' | '||' }[] = [];
  let cur = '';
  let quote: string | undefined;
  let op: ';' | '&&' | '||' = ';';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
    } else if (c === ';' || (c === '&' && line[i + 1] === '&') || (c === '|' && line[i + 1] === '|')) {
      out.push({ cmd: cur, op });
      op = c === ';' ? ';' : c === '&' ? '&&' : '||';
      if (c !== ';') i++;
      cur = '';
    } else cur += c;
  }
  out.push({ cmd: cur, op });
  return out.filter((p) => p.cmd.trim() !== '');
}

/** Thrown by `exit`: ends the shell with this status. */
export class ShellExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = new.target.name;
  }
}

/** Runs one command line (a list); the status of the last command run. */
export async function runLine(line: string, ctx: ShellContext, out: ShellOutput): Promise<number> {
  let status = 0;
  for (const { cmd, op } of splitList(line)) {
    if ((op === '&&' && status !== 0) || (op === '||' && status === 0)) continue;
    status = await runCommand(splitWords(cmd), ctx, out);
  }
  return status;
}

/** Runs one command (argv); its exit status. */
export async function runCommand(argv: string[], ctx: ShellContext, out: ShellOutput): Promise<number> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return 0;
  const name = cmd.replace(/^(\/usr)?\/s?bin\//, '');
  switch (name) {
    case 'sh':
    case 'ash':
    case 'bash': {
      if (name === 'bash') break;
      if (args[0] === '-c' && args[1] !== undefined) return runLine(args[1], ctx, out);
      return 0;
    }
    case 'echo': {
      const noNewline = args[0] === '-n';
      out.stdout(`${(noNewline ? args.slice(1) : args).join(' ')}${noNewline ? '' : '\n'}`);
      return 0;
    }
    case 'true':
      return 0;
    case 'false':
      return 1;
    case 'exit':
      throw new ShellExit(args[0] !== undefined && /^\d+$/.test(args[0]) ? Number(args[0]) & 0xff : 0);
    case 'hostname':
      out.stdout(`${ctx.podName}\n`);
      return 0;
    case 'cat':
      return cat(args, ctx, out);
    case 'apk':
      return apk(args, ctx, out);
    case 'curl':
      if (!ctx.installed.has('curl')) break;
      return curl(args, ctx, out);
    case 'wget':
      return wget(args, ctx, out);
    default:
      break;
  }
  out.stderr(`sh: ${cmd}: not found\n`);
  return 127;
}

function cat(args: string[], ctx: ShellContext, out: ShellOutput): number {
  let status = 0;
  for (const file of args) {
    if (file === '/etc/resolv.conf') {
      out.stdout(`search ${ctx.namespace}.svc.cluster.local svc.cluster.local cluster.local ec2.internal\nnameserver ${DNS_SERVICE_IP}\noptions ndots:5\n`);
    } else if (file === '/etc/hostname') {
      out.stdout(`${ctx.podName}\n`);
    } else {
      out.stderr(`cat: can't open '${file}': No such file or directory\n`);
      status = 1;
    }
  }
  return status;
}

function apk(args: string[], ctx: ShellContext, out: ShellOutput): number {
  if (args[0] !== 'add') {
    if (args[0] === 'update') {
      out.stdout('OK: 24 distinct packages available\n');
      return 0;
    }
    out.stderr(`apk-tools 2.14.4, compiled for x86_64.\n\nusage: apk [<OPTIONS>...] COMMAND [<ARGUMENTS>...]\n`);
    return 1;
  }
  const pkgs = args.slice(1).filter((a) => !a.startsWith('-'));
  if (pkgs.length === 0) {
    out.stderr('ERROR: No packages specified\n');
    return 1;
  }
  const fresh = pkgs.filter((p) => !ctx.installed.has(p));
  fresh.forEach((p, i) => out.stdout(`(${i + 1}/${fresh.length}) Installing ${p} (8.9.1-r1)\n`));
  for (const p of fresh) ctx.installed.add(p);
  out.stdout(`OK: ${12 + ctx.installed.size} MiB in ${20 + ctx.installed.size} packages\n`);
  return 0;
}

interface Url {
  host: string;
  port: number;
  path: string;
}

function parseUrl(raw: string): Url | undefined {
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:') return undefined;
  return { host: u.hostname, port: u.port ? Number(u.port) : 80, path: `${u.pathname}${u.search}` };
}

type Fetched = { ok: true; status: number; statusText: string; headers: string; body: Buffer } | { ok: false; reason: 'resolve' | 'refused' | 'other'; message: string };

/** One HTTP GET over the cluster network, as a pod makes it (names through cluster DNS). */
async function fetchInternal(url: Url, ctx: ShellContext, userAgent: string): Promise<Fetched> {
  let ip = url.host;
  if (!isIPv4(ip)) {
    const answer = firstAddress(await ctx.network.resolveInternal(url.host.replace(/\.$/, ''), ctx.namespace).catch(() => undefined));
    if (!answer) return { ok: false, reason: 'resolve', message: url.host };
    ip = answer;
  }
  let conn;
  try {
    conn = await ctx.network.dialInternal(ip, url.port);
  } catch (err) {
    return { ok: false, reason: errorCode(err) === 'ECONNREFUSED' ? 'refused' : 'other', message: err instanceof Error ? err.message : String(err) };
  }
  return new Promise<Fetched>((resolve) => {
    const req = requestOver(conn, { method: 'GET', path: url.path, headers: { host: url.port === 80 ? url.host : `${url.host}:${url.port}`, 'user-agent': userAgent, accept: '*/*' } });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const lines: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        resolve({ ok: true, status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: lines.join('\r\n'), body: Buffer.concat(chunks) });
      });
      res.on('error', (err) => resolve({ ok: false, reason: 'other', message: err.message }));
    });
    req.on('error', (err) => resolve({ ok: false, reason: 'other', message: err.message }));
    req.end();
  });
}

async function curl(args: string[], ctx: ShellContext, out: ShellOutput): Promise<number> {
  let silent = false;
  let showErrors = false;
  let include = false;
  let fail = false;
  let raw: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      if (a === '--silent') silent = true;
      else if (a === '--show-error') showErrors = true;
      else if (a === '--include') include = true;
      else if (a === '--fail') fail = true;
      else if (a === '--max-time' || a === '--connect-timeout') i++;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (const f of a.slice(1)) {
        if (f === 's') silent = true;
        else if (f === 'S') showErrors = true;
        else if (f === 'i') include = true;
        else if (f === 'f') fail = true;
        else if (f === 'm') i++;
      }
      continue;
    }
    raw = a;
  }
  const report = (code: number, message: string): number => {
    if (!silent || showErrors) out.stderr(`curl: (${code}) ${message}\n`);
    return code;
  };
  if (raw === undefined) {
    out.stderr("curl: try 'curl --help' or 'curl --manual' for more information\n");
    return 2;
  }
  const url = parseUrl(raw);
  if (!url) return report(1, `Protocol not supported or disabled in libcurl`);
  const got = await fetchInternal(url, ctx, 'curl/8.9.1');
  if (!got.ok) {
    if (got.reason === 'resolve') return report(6, `Could not resolve host: ${got.message}`);
    if (got.reason === 'refused') return report(7, `Failed to connect to ${url.host} port ${url.port} after 0 ms: Could not connect to server`);
    return report(56, `Recv failure: ${got.message}`);
  }
  if (fail && got.status >= 400) return report(22, `The requested URL returned error: ${got.status}`);
  if (include) out.stdout(`HTTP/1.1 ${got.status} ${got.statusText}\r\n${got.headers}\r\n\r\n`);
  out.stdout(got.body.toString('utf8'));
  return 0;
}

async function wget(args: string[], ctx: ShellContext, out: ShellOutput): Promise<number> {
  let quiet = false;
  let toStdout = false;
  let raw: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-O') {
      toStdout = args[++i] === '-';
    } else if (a.startsWith('-') && a.length > 1 && !a.startsWith('--')) {
      const flags = a.slice(1);
      if (flags.includes('q')) quiet = true;
      if (flags.endsWith('O')) toStdout = args[++i] === '-';
      else if (flags.includes('O')) toStdout = flags.slice(flags.indexOf('O') + 1) === '-';
    } else if (!a.startsWith('-')) raw = a;
  }
  if (raw === undefined) {
    out.stderr('BusyBox v1.36.1 (2024-06-10 07:11:47 UTC) multi-call binary.\n\nUsage: wget [-cqS] [-O FILE] URL...\n');
    return 1;
  }
  const url = parseUrl(raw);
  if (!url) {
    out.stderr(`wget: not an http or ftp url: ${raw}\n`);
    return 1;
  }
  if (!quiet) out.stderr(`Connecting to ${url.host}${url.port === 80 ? '' : `:${url.port}`}\n`);
  const got = await fetchInternal(url, ctx, 'Wget');
  if (!got.ok) {
    if (got.reason === 'resolve') out.stderr(`wget: bad address '${url.host}${url.port === 80 ? '' : `:${url.port}`}'\n`);
    else if (got.reason === 'refused') out.stderr(`wget: can't connect to remote host (${url.host}): Connection refused\n`);
    else out.stderr(`wget: ${got.message}\n`);
    return 1;
  }
  if (got.status >= 400) {
    out.stderr(`wget: server returned error: HTTP/1.1 ${got.status} ${got.statusText}\n`);
    return 1;
  }
  if (toStdout) out.stdout(got.body.toString('utf8'));
  else if (!quiet) out.stderr(`saving to 'index.html'\nindex.html           100% |********************************| ${got.body.length}  0:00:00 ETA\n'index.html' saved\n`);
  return 0;
}
