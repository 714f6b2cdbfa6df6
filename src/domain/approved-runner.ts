/**
 * What carries out an approved request: a Service change through the operations, an orphaned load
 * balancer's deletion through the orphan commands — both as the requester, with the approved request, so
 * that each checks the policy again and that what it acts on is still what was approved.
 */
import type { ApprovedRunner } from './approval-decisions.js';
import { BotError } from './errors.js';
import type { Operations } from './operations.js';
import type { OrphanCommands } from './orphan-commands.js';

export function approvedRunner(operations: Pick<Operations, 'run'>, orphans?: Pick<OrphanCommands, 'run'>): ApprovedRunner {
  return {
    async run(command, requester, options) {
      if (command.kind !== 'orphan') return operations.run(command, requester, options);
      if (!orphans) throw new BotError('invalid', 'This svcbot does not act on orphaned load balancers: nothing was deleted.');
      const outcome = await orphans.run(command, requester, options);
      if (outcome.kind !== 'operation') throw new Error(`an approved orphan command answered ${outcome.kind}, not an operation`);
      return outcome.result;
    },
  };
}
