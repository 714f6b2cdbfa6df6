/** Rendering: pure functions from result objects to a `Reply` (Block Kit + fallback text), and to console text. */
export type { Block, ButtonElement, ContextBlock, HeaderBlock, MrkdwnText, PlainText, Reply, SectionBlock } from './blocks.js';
export { LIMITS, blockKitViolations } from './blocks.js';
export { ACTION_IDS, parseServiceActionValue, serviceActionValue, type ActionId, type ServiceRef } from './actions.js';
export { escapeMrkdwn, mention } from './mrkdwn.js';
export { formatAge } from './time.js';
export { renderHelp, type HelpView, type SubcommandHelpView, type HelpRenderOptions } from './help.js';
export { renderError, renderUsageError, type ErrorRenderOptions } from './errors.js';
export { renderCreated, renderDeleted, renderDryRun, renderTypeChanged, type ChangeRenderOptions } from './changes.js';
export { renderList, type ListRenderOptions } from './list.js';
export { renderDescribe } from './describe.js';
export { renderToText, type TextChoice, type TextReply } from './text.js';
