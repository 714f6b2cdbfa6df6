/**
 * The errors the data plane's dials and lookups reject with, shaped like Node's own socket and DNS errors
 * (`code`, `syscall`, `address`, `port`), so a caller treats them as it would a real `connect` or `lookup`.
 */

export interface NetError extends Error {
  code: string;
  syscall: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/** Nothing accepts connections at `address:port`: what `connect()` gets from a RST or a REJECT rule. */
export function connectionRefused(address: string, port: number, why: string): NetError {
  const err = new Error(`connect ECONNREFUSED ${address}:${port} (${why})`) as NetError;
  err.name = 'Error';
  err.code = 'ECONNREFUSED';
  err.syscall = 'connect';
  err.address = address;
  err.port = port;
  return err;
}

/** A name that cluster DNS does not know: what `dns.lookup` gets for NXDOMAIN. */
export function nameNotFound(hostname: string): NetError {
  const err = new Error(`getaddrinfo ENOTFOUND ${hostname}`) as NetError;
  err.code = 'ENOTFOUND';
  err.syscall = 'getaddrinfo';
  err.hostname = hostname;
  return err;
}
