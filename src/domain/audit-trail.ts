/**
 * The audit trail: what svcbot records of every change, approval decision, refusal and job outcome, and
 * `/svc audit`. Recording never fails the command it records (a change made is not undone because the
 * log could not be written): a failure is logged for the operator instead. Each entry gets its time and
 * the user's name here, so that every caller records the same shape.
 */
import type { Command } from './command.js';
import type { AuditEntry, AuditLog } from '../ports/audit.js';
import type { Directory } from '../ports/directory.js';
import type { Logger } from '../ports/logger.js';

/** What a caller says; the trail adds the time and the user's name. */
export type AuditRecord = Omit<AuditEntry, 'at' | 'userName'>;

export interface AuditResult {
  entries: AuditEntry[];
  /** The filters asked for, to say what was shown. */
  limit: number;
  service?: string;
  user?: string;
  now: Date;
}

export interface AuditTrail {
  /** Appends an entry (and tells `onRecorded`); never throws. */
  record(entry: AuditRecord): Promise<void>;
  /** `/svc audit [N] [--service NAME] [--user @x]`. */
  query(command: Extract<Command, { kind: 'audit' }>): Promise<AuditResult>;
}

export interface AuditTrailDeps {
  log: AuditLog;
  directory: Pick<Directory, 'nameOf'>;
  logger: Logger;
  /** Called with each entry once it is appended (the audit channel, when one is configured), not awaited; failures are logged. */
  onRecorded?: (entry: AuditEntry) => Promise<void>;
  now?: () => number;
}

/** Longest command text kept in an entry (a command is at most 4,000 characters; an entry stays small). */
const MAX_COMMAND_TEXT = 1000;

export function makeAuditTrail({ log, directory, logger, onRecorded, now = Date.now }: AuditTrailDeps): AuditTrail {
  async function nameOf(userId: string): Promise<string | undefined> {
    try {
      return await directory.nameOf(userId);
    } catch {
      return undefined; // a name is a courtesy; the ID is what the entry is about
    }
  }

  return {
    async record(record) {
      const entry: AuditEntry = { at: now(), ...record };
      if (entry.command !== undefined && entry.command.length > MAX_COMMAND_TEXT) {
        entry.command = `${entry.command.slice(0, MAX_COMMAND_TEXT)}…`;
      }
      const userName = await nameOf(record.userId);
      if (userName !== undefined) entry.userName = userName;
      try {
        await log.append(entry);
      } catch (err) {
        // The operator must know the trail has a gap; the user's command is not the place to say it.
        logger.error({ err, audit: { ...entry } }, 'could not append to the audit log');
        return;
      }
      if (onRecorded) {
        // Not awaited: the audit channel's post waits for Slack's pace and for the entries recorded with it
        // (a burst goes as one message), and what recorded the entry — a command, a decision — must not.
        void onRecorded(entry).catch((err: unknown) => logger.warn({ err }, 'could not post an audit entry to the audit channel'));
      }
    },

    async query(command) {
      const entries = await log.recent({
        limit: command.limit,
        ...(command.service === undefined ? {} : { service: command.service }),
        ...(command.user === undefined ? {} : { user: command.user }),
      });
      return {
        entries,
        limit: command.limit,
        ...(command.service === undefined ? {} : { service: command.service }),
        ...(command.user === undefined ? {} : { user: command.user }),
        now: new Date(now()),
      };
    },
  };
}
