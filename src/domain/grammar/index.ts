/** The `/svc` command grammar: text in, Command out (or a UsageError). Pure. */
export { MAX_COMMAND_LENGTH, parseCommand } from './parse.js';
export { FLAGS, SUBCOMMANDS, type FlagSpec } from './spec.js';
export { didYouMean, editDistance } from '../suggest.js';
export { isLoadBalancerKey } from './load-balancer-key.js';
export { normalizeSlackText, tokenize } from './tokenize.js';
export {
  isClusterName,
  isLabelKey,
  isLabelValue,
  isRegion,
  isNamespaceName,
  isPortName,
  isServiceName,
} from './validate.js';
