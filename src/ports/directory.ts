/**
 * Who people are, as Slack knows them: the user groups a user is in (only those the policy names are
 * asked about) and a user's name for the audit log. Slack answers through `usergroups.users.list` and
 * `users.info`, cached; the console knows no groups.
 */
export interface Directory {
  /** Which of `groups` the user is in. */
  groupsOf(userId: string, groups: readonly string[]): Promise<string[]>;
  /** The user's name (their Slack handle), or undefined when it cannot be had. */
  nameOf(userId: string): Promise<string | undefined>;
}
