/** Bolt's Logger interface over svcbot's pino logger, so everything goes through one (redacting) logger. */
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../ports/logger.js';

export function boltLogger(logger: Logger): BoltLogger {
  const log = logger.child({ component: 'bolt' });
  let level = LogLevel.INFO;
  const format = (msgs: unknown[]) => msgs.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...msgs) => log.debug(format(msgs)),
    info: (...msgs) => log.info(format(msgs)),
    warn: (...msgs) => log.warn(format(msgs)),
    error: (...msgs) => log.error(format(msgs)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
