/**
 * What the value checkers throw: the problem and maybe a fix, without the usage line. The parser,
 * which knows the subcommand, turns it into a UsageError; nothing outside the grammar sees it.
 */
export class GrammarProblem extends Error {
  constructor(
    readonly problem: string,
    readonly suggestion?: string,
  ) {
    super(problem);
    this.name = new.target.name;
  }
}

const MAX_SHOWN = 60;

/** A value as quoted in a message, shortened when long (the user has the rest in front of them). */
export function quote(value: string): string {
  const shown = [...value];
  return shown.length > MAX_SHOWN ? `"${shown.slice(0, MAX_SHOWN - 1).join('')}…"` : `"${value}"`;
}

/** ` (Slack sent it as a link)` when a value is Slack markup rather than what the user typed, else ''. */
export function slackNote(value: string): string {
  if (/<[@#!]/.test(value)) return ' (Slack sent it as a mention)';
  if (/<[a-z][a-z0-9+.-]*:/i.test(value)) return ' (Slack sent it as a link)';
  return '';
}

/** True when a value contains Slack link/mention markup: no point suggesting a cleaned-up version. */
export function isSlackMarkup(value: string): boolean {
  return slackNote(value) !== '';
}
