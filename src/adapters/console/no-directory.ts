/**
 * The console's Directory: there is no Slack behind it, so nobody is in any user group and nobody has a
 * name beyond their user ID. A policy that names user groups lets only the users it names approve.
 */
import type { Directory } from '../../ports/directory.js';

export function createNoDirectory(): Directory {
  return {
    groupsOf: () => Promise.resolve([]),
    nameOf: () => Promise.resolve(undefined),
  };
}
