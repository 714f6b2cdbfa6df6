/**
 * svcbot's own rules for the names and values a command carries, written from the Kubernetes docs
 * ("Object Names and IDs", "Labels and Selectors", Service ports). Predicates say yes/no; `check*`
 * and `parse*` functions throw a GrammarProblem whose message names the value and the rule.
 */
import type { ServiceType } from '../command.js';
import { GrammarProblem, isSlackMarkup, quote, slackNote } from './problem.js';
import { didYouMean } from '../suggest.js';

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

const MAX_LABEL = 63;
const MAX_SUBDOMAIN = 253;
export const MAX_PORT_NAME = 15;
const MAX_JOB_ID = 128;

/** A Service name: a DNS-1035 label (lowercase letters, digits, "-"; starts with a letter; ≤ 63). */
export function isServiceName(value: string): boolean {
  return value.length <= MAX_LABEL && DNS1035_LABEL.test(value);
}

/** A namespace name: a DNS-1123 label (lowercase letters, digits, "-"; starts and ends alphanumeric; ≤ 63). */
export function isNamespaceName(value: string): boolean {
  return value.length <= MAX_LABEL && DNS1123_LABEL.test(value);
}

/** A cluster name as svcbot's configuration spells it: lowercase letters, digits, "-", alphanumeric at both ends. */
export function isClusterName(value: string): boolean {
  return DNS1123_LABEL.test(value);
}

/** A Deployment name: a DNS-1123 subdomain (lowercase letters, digits, "-", "."; ≤ 253). */
export function isDeploymentName(value: string): boolean {
  return value.length <= MAX_SUBDOMAIN && DNS1123_SUBDOMAIN.test(value);
}

/** A label key: optional DNS-subdomain prefix (≤ 253) and "/", then a name (≤ 63, alphanumeric at both ends, "-_." inside). */
export function isLabelKey(value: string): boolean {
  const parts = value.split('/');
  if (parts.length > 2) return false;
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  const prefix = parts.length === 2 ? parts[0]! : undefined;
  if (prefix !== undefined && !(prefix.length <= MAX_SUBDOMAIN && DNS1123_SUBDOMAIN.test(prefix))) return false;
  return name.length <= MAX_LABEL && LABEL_NAME.test(name);
}

/** A label value: empty, or ≤ 63 characters, alphanumeric at both ends, "-_." inside. */
export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= MAX_LABEL && LABEL_NAME.test(value));
}

/**
 * An IANA_SVC_NAME, as Kubernetes requires of port names (and named target ports): at most 15
 * lowercase letters, digits and "-", at least one letter, no "--", no "-" at either end.
 */
export function isPortName(value: string): boolean {
  return (
    value.length >= 1 &&
    value.length <= MAX_PORT_NAME &&
    /^[-a-z0-9]+$/.test(value) &&
    /[a-z]/.test(value) &&
    !value.includes('--') &&
    !value.startsWith('-') &&
    !value.endsWith('-')
  );
}

/** A job ID as the job queue hands them out: letters, digits, "-", "_", ".", ":" (≤ 128). */
export function isJobId(value: string): boolean {
  return value.length <= MAX_JOB_ID && JOB_ID.test(value);
}

function tooLong(value: string, max: number): string {
  return value.length > max ? ` (it has ${value.length})` : '';
}

/** A cleaned-up spelling of an invalid name, if that cleaning gives a valid one (`My_App` -> `my-app`). */
function cleanedName(value: string, valid: (v: string) => boolean): string | undefined {
  if (isSlackMarkup(value)) return undefined;
  const cleaned = value
    .replace(/^(svc|service|services)\//i, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return cleaned !== value && valid(cleaned) ? cleaned : undefined;
}

export function checkServiceName(value: string): string {
  if (isServiceName(value)) return value;
  const end = value.endsWith('-') && value.length > 1 ? ' (and must not end with "-")' : '';
  throw new GrammarProblem(
    `${quote(value)} is not a valid Service name${slackNote(value)}: use lowercase letters, digits and "-", ` +
      `starting with a letter, at most ${MAX_LABEL} characters${tooLong(value, MAX_LABEL)}${end}`,
    cleanedName(value, isServiceName),
  );
}

export function checkNamespace(value: string): string {
  if (isNamespaceName(value)) return value;
  throw new GrammarProblem(
    `${quote(value)} is not a valid namespace${slackNote(value)}: use lowercase letters, digits and "-", ` +
      `starting and ending with a letter or digit, at most ${MAX_LABEL} characters${tooLong(value, MAX_LABEL)}`,
    cleanedName(value, isNamespaceName),
  );
}

export function checkClusterName(value: string): string {
  if (isClusterName(value)) return value;
  throw new GrammarProblem(
    `${quote(value)} is not a valid cluster name${slackNote(value)}: use lowercase letters, digits and "-", ` +
      `starting and ending with a letter or digit`,
    cleanedName(value, isClusterName),
  );
}

export function checkDeploymentName(value: string): string {
  if (isDeploymentName(value)) return value;
  throw new GrammarProblem(
    `${quote(value)} is not a valid deployment name${slackNote(value)}: use lowercase letters, digits, "-" and ".", ` +
      `starting and ending with a letter or digit, at most ${MAX_SUBDOMAIN} characters${tooLong(value, MAX_SUBDOMAIN)}`,
  );
}

export function checkJobId(value: string): string {
  if (isJobId(value)) return value;
  throw new GrammarProblem(
    `${quote(value)} is not a valid job ID${slackNote(value)}: use the ID exactly as the job list shows it ` +
      `(letters, digits, "-", "_", "." and ":")`,
  );
}

/** An approval request's ID: 8 hex digits (any case as typed; stored lowercase). */
export function checkRequestId(value: string, commandName: string): string {
  const id = value.toLowerCase();
  if (/^[0-9a-f]{8}$/.test(id)) return id;
  throw new GrammarProblem(
    `${quote(value)} is not a request ID${slackNote(value)}: use the 8 characters the request shows (${commandName} approvals lists them)`,
  );
}

/** An AWS region's name: `us-east-1`, `us-gov-west-1`, `ap-southeast-2`. */
export const isRegion = (s: string): boolean => /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(s);

export function checkRegion(value: string): string {
  const region = value.toLowerCase();
  if (isRegion(region)) return region;
  throw new GrammarProblem(`${quote(value)} is not an AWS region${slackNote(value)}: give one like us-east-1`);
}

/** Longest rejection reason kept (it is shown to the requester and kept in the audit log). */
export const MAX_REASON_LENGTH = 500;

/**
 * Who `--user` means, as svcbot compares it: a Slack user ID (`U0123ABCD`), a mention (`<@U0123ABCD>` or
 * `<@U0123ABCD|jane>`: the ID), or a name (`@jane` or `jane`: the name, lowercase, without the `@`).
 */
export function parseUserFilter(value: string): string {
  const mentionMatch = /^<@([UW][A-Z0-9]+)(\|[^>]*)?>$/.exec(value);
  if (mentionMatch) return mentionMatch[1]!;
  if (/^[UW][A-Z0-9]{2,}$/.test(value)) return value;
  const name = value.replace(/^@/, '').toLowerCase();
  if (/^[a-z0-9][a-z0-9._-]{0,79}$/.test(name)) return name;
  throw new GrammarProblem(`${quote(value)} is not a Slack user${slackNote(value)}: give their @name or user ID, e.g. --user @jane`);
}

/** Every spelling of a Service type svcbot accepts (case-insensitive), mapped to the canonical name. */
export const SERVICE_TYPE_ALIASES: Readonly<Record<ServiceType, readonly string[]>> = {
  ClusterIP: ['clusterip', 'cluster-ip', 'cip'],
  NodePort: ['nodeport', 'node-port', 'np'],
  LoadBalancer: ['loadbalancer', 'load-balancer', 'lb'],
};

const TYPE_BY_SPELLING = new Map<string, ServiceType>(
  Object.entries(SERVICE_TYPE_ALIASES).flatMap(([type, spellings]) =>
    spellings.map((s) => [s, type as ServiceType] as const),
  ),
);

/** `clusterip`, `cip`, `LoadBalancer`, `lb`, … -> the canonical ServiceType. */
export function parseServiceType(value: string): ServiceType {
  const type = TYPE_BY_SPELLING.get(value.toLowerCase());
  if (type !== undefined) return type;
  if (/^external-?name$/i.test(value)) {
    throw new GrammarProblem(
      'svcbot never makes ExternalName Services: they send a name to any host you like, past the cluster\'s ' +
        'own routing; use clusterip, nodeport or loadbalancer',
    );
  }
  throw new GrammarProblem(
    `${quote(value)} is not a Service type${slackNote(value)}: use clusterip, nodeport or loadbalancer`,
    didYouMean(value, [...TYPE_BY_SPELLING.keys()]),
  );
}

const LABEL_KEY_RULE =
  `use at most ${MAX_LABEL} letters, digits, "-", "_" and ".", starting and ending with a letter or digit, ` +
  `optionally after a DNS prefix and "/" (e.g. app.kubernetes.io/name)`;
const LABEL_VALUE_RULE = `use at most ${MAX_LABEL} letters, digits, "-", "_" and ".", starting and ending with a letter or digit, or leave it empty`;

function checkLabelKey(key: string): void {
  if (isLabelKey(key)) return;
  const slash = key.indexOf('/');
  if (key === '') throw new GrammarProblem('a selector entry has no key before "=": use KEY=VALUE, e.g. app=alpine');
  if (slash !== -1 && key.indexOf('/', slash + 1) === -1) {
    const prefix = key.slice(0, slash);
    if (!(prefix.length <= MAX_SUBDOMAIN && DNS1123_SUBDOMAIN.test(prefix))) {
      throw new GrammarProblem(
        `${quote(key)} is not a valid label key${slackNote(key)}: the prefix before "/" must be a DNS subdomain ` +
          `(lowercase letters, digits, "-" and ".", at most ${MAX_SUBDOMAIN} characters)`,
      );
    }
  }
  throw new GrammarProblem(`${quote(key)} is not a valid label key${slackNote(key)}: ${LABEL_KEY_RULE}`);
}

function checkLabelValue(key: string, value: string): void {
  if (isLabelValue(value)) return;
  throw new GrammarProblem(
    `${quote(value)} is not a valid label value for ${quote(key)}${slackNote(value)}: ${LABEL_VALUE_RULE}` +
      tooLong(value, MAX_LABEL),
  );
}

/**
 * The values of every `--selector` given, merged: `KEY=VALUE[,KEY=VALUE…]` each (spaces after
 * commas are fine when quoted; `==` is read as `=`, as kubectl does). A key given twice with the same
 * value is fine, with different values an error.
 */
export function parseSelector(values: readonly string[]): Record<string, string> {
  const selector = new Map<string, string>();
  for (const raw of values) {
    for (const piece of raw.split(',')) {
      const entry = piece.trim();
      if (entry === '') {
        throw new GrammarProblem(`--selector ${quote(raw)} has an empty entry: remove the extra ","`);
      }
      if (entry.includes('!=') || /\s(not)?in\s*\(/.test(entry) || entry.startsWith('!')) {
        throw new GrammarProblem(
          `--selector ${quote(entry)}: a Service selects pods by exact labels only: use KEY=VALUE`,
        );
      }
      const eq = entry.indexOf('=');
      if (eq === -1) {
        const colon = entry.indexOf(':');
        const fix = colon > 0 && !isSlackMarkup(entry) ? `${entry.slice(0, colon)}=${entry.slice(colon + 1)}` : undefined;
        throw new GrammarProblem(
          `--selector ${quote(entry)}${slackNote(entry)} is not KEY=VALUE (e.g. --selector app=alpine)`,
          fix,
        );
      }
      const key = entry.slice(0, eq).trim();
      const value = entry.slice(entry.startsWith('==', eq) ? eq + 2 : eq + 1).trim();
      checkLabelKey(key);
      checkLabelValue(key, value);
      const earlier = selector.get(key);
      if (earlier !== undefined && earlier !== value) {
        throw new GrammarProblem(
          `selector key ${quote(key)} is given twice with different values (${quote(earlier)} and ${quote(value)}): ` +
            'a label has one value per pod',
        );
      }
      selector.set(key, value);
    }
  }
  return Object.fromEntries(selector);
}
