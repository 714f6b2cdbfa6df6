/**
 * The logger as handlers, jobs and the domain's services see it: structured lines with a message, and
 * child loggers carrying context (`{ jobId, service }`). src/logger.ts makes the one implementation
 * (pino, with secrets redacted by configuration); tests pass a silent or capturing one.
 */
interface LogFn {
  (obj: object, msg?: string, ...args: unknown[]): void;
  (msg: string, ...args: unknown[]): void;
}

export interface Logger {
  child(bindings: Record<string, unknown>): Logger;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
}
