/** The `/svc` command grammar: text in, Command out (or a UsageError). Pure. */
export { MAX_COMMAND_LENGTH, parseCommand, type ParseOptions } from './parse.js';
export { formatPort } from './ports.js';
export {
  FLAGS,
  SUBCOMMANDS,
  findSubcommand,
  refusalFor,
  usageLine,
  type FlagKey,
  type FlagSpec,
  type SubcommandSpec,
} from './spec.js';
export { didYouMean, editDistance } from '../suggest.js';
export { normalizeSlackText, tokenize } from './tokenize.js';
export {
  SERVICE_TYPE_ALIASES,
  isClusterName,
  isDeploymentName,
  isJobId,
  isLabelKey,
  isLabelValue,
  isNamespaceName,
  isPortName,
  isServiceName,
} from './validate.js';
