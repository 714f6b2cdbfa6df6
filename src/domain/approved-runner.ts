/**
 * What carries out an approved request: a Service change through the operations, an orphaned load
 * balancer's deletion through the orphan commands, an `allow` through the ingress grants — both as the requester, with the approved request, so
 * that each checks the policy again and that what it acts on is still what was approved.
 */
import type { ApprovedRunner } from './approval-decisions.js';
import { BotError } from './errors.js';
import type { Operations } from './operations.js';
import type { OrphanCommands } from './orphan-commands.js';
import type { IngressGrants } from './ingress-grants.js';

export function approvedRunner(operations: Pick<Operations, 'run'>, orphans?: Pick<OrphanCommands, 'run'>, grants?: Pick<IngressGrants, 'run'>): ApprovedRunner {
  return {
    async run(command, requester, options) {
      if (command.kind === 'allow') {
        if (!grants) throw new BotError('invalid', 'This svcbot does not open ports (`allow` needs Redis): nothing was opened.');
        const outcome = await grants.run(command, requester, options);
        if (outcome.kind !== 'operation') throw new Error(`an approved allow answered ${outcome.kind}, not an operation`);
        return outcome.result;
      }
      if (command.kind !== 'orphan') return operations.run(command, requester, options);
      if (!orphans) throw new BotError('invalid', 'This svcbot does not act on orphaned load balancers: nothing was deleted.');
      const outcome = await orphans.run(command, requester, options);
      if (outcome.kind !== 'operation') throw new Error(`an approved orphan command answered ${outcome.kind}, not an operation`);
      return outcome.result;
    },
  };
}
