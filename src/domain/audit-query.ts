/** Which audit entries a query asks for: the one rule both audit-log adapters apply. */
import type { AuditEntry, AuditQuery } from '../ports/audit.js';

/** `user` matches the entry's user ID or its user name, without regard to case. */
export function matchesAuditQuery(entry: AuditEntry, query: Pick<AuditQuery, 'service' | 'user'>): boolean {
  if (query.service !== undefined && entry.service !== query.service) return false;
  if (query.user === undefined) return true;
  const user = query.user.toLowerCase();
  return entry.userId.toLowerCase() === user || (entry.userName !== undefined && entry.userName.toLowerCase() === user);
}
