/**
 * The audit trail's audit channel (onRecorded): told of each entry once it is appended, without the
 * recorder waiting for it (the channel's post waits for Slack's pace and gathers a burst), and a post that
 * fails is logged, never the recorder's failure.
 */
import { makeAuditTrail } from '../../../src/domain/audit-trail.js';
import { createMemoryAuditLog } from '../../../src/adapters/memory/audit.js';
import type { AuditEntry } from '../../../src/ports/audit.js';
import { quietLogger, testDirectory } from '../../helpers/governance.js';

test('record resolves once the entry is appended, without waiting for the audit channel; the channel gets it', async () => {
  const log = createMemoryAuditLog({ maxEntries: 100 });
  const told: AuditEntry[] = [];
  let release: () => void = () => undefined;
  const posted = new Promise<void>((resolve) => {
    release = resolve;
  });
  const audit = makeAuditTrail({ log, directory: testDirectory(), logger: quietLogger, onRecorded: (entry) => (told.push(entry), posted) });
  await audit.record({ action: 'change', userId: 'U1', result: 'created `web`' });
  expect(await log.recent({ limit: 10 })).toHaveLength(1);
  expect(told).toHaveLength(1); // told at once; its post still waits (never released before record returned)
  release();
});

test('an audit channel that fails is logged, not thrown', async () => {
  const log = createMemoryAuditLog({ maxEntries: 100 });
  const audit = makeAuditTrail({ log, directory: testDirectory(), logger: quietLogger, onRecorded: () => Promise.reject(new Error('channel_not_found')) });
  await expect(audit.record({ action: 'refused', userId: 'U1', result: 'no' })).resolves.toBeUndefined();
  expect(await log.recent({ limit: 10 })).toHaveLength(1);
});
