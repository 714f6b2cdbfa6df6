/**
 * Rendering: pure functions from result objects to a `Reply` (Block Kit + fallback text). The rendering
 * of a Reply as console text is ./text.ts.
 */
export type { Reply } from './blocks.js';
export { ACTION_IDS, parseRequestActionValue, parseServiceActionValue, type ServiceRef } from './actions.js';
export { renderApprovalOutcome, renderApprovalRequest, renderApprovalRequested, renderDecision, renderPending } from './approvals.js';
export { renderAudit, renderAuditEntry } from './audit.js';
export { renderHelp } from './help.js';
export { renderError, renderStillTrying, renderUsageError } from './errors.js';
export { renderCreated, renderDeleted, renderDryRun, renderTypeChanged } from './changes.js';
export { renderList } from './list.js';
export { renderDescribe } from './describe.js';
