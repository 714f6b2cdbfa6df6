/**
 * Generic validators of the Kubernetes API (apimachinery's `validation` package), with the
 * apiserver's wording. Each returns the field errors it finds; the caller aggregates them.
 */
import { fieldErrors, type FieldError } from './errors.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME_CHARS = /^[-a-z0-9]+$/;
const HAS_LETTER = /[a-z]/;

const DNS1123_LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_NAME_MESSAGE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const maxLen = (n: number): string => `must be no more than ${n} characters`;

export function dns1123LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLen(63));
  if (!DNS1123_LABEL.test(value)) errs.push(DNS1123_LABEL_MESSAGE);
  return errs;
}

export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLen(253));
  if (!DNS1123_SUBDOMAIN.test(value)) errs.push(DNS1123_SUBDOMAIN_MESSAGE);
  return errs;
}

export function dns1035LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLen(63));
  if (!DNS1035_LABEL.test(value)) errs.push(DNS1035_LABEL_MESSAGE);
  return errs;
}

/** `prefix/name` as used by label and annotation keys and finalizers. */
export function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const msg of dns1123SubdomainErrors(prefix)) errs.push(`prefix part ${msg}`);
  } else {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLen(63)}`);
  if (name.length > 0 && !QUALIFIED_NAME_PART.test(name)) errs.push(QUALIFIED_NAME_MESSAGE);
  return errs;
}

function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLen(63));
  if (!LABEL_VALUE.test(value)) errs.push(LABEL_VALUE_MESSAGE);
  return errs;
}

export function isValidPortNum(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

export const PORT_RANGE_MESSAGE = 'must be between 1 and 65535, inclusive';

/** IANA_SVC_NAME (RFC 6335): what a named port may be called. */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push(maxLen(15));
  if (!IANA_SVC_NAME_CHARS.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.length > 0 && !HAS_LETTER.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** A `targetPort`/`containerPort` reference: a port number or an IANA_SVC_NAME. */
export function portNumOrNameErrors(value: unknown, field: string): FieldError[] {
  if (typeof value === 'number') {
    return isValidPortNum(value) ? [] : [fieldErrors.invalid(field, value, PORT_RANGE_MESSAGE)];
  }
  if (typeof value === 'string') {
    if (value === '') return [fieldErrors.required(field, '')];
    return portNameErrors(value).map((msg) => fieldErrors.invalid(field, value, msg));
  }
  return [fieldErrors.invalid(field, JSON.stringify(value) ?? 'null', 'must be an integer or a string')];
}

/** Parses a dotted-quad IPv4 address (no leading zeros), or undefined. */
export function parseIPv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function isIPv6(ip: string): boolean {
  if (!ip.includes(':') || !/^[0-9a-fA-F:.]+$/.test(ip)) return false;
  const doubles = ip.split('::').length - 1;
  if (doubles > 1) return false;
  const groups = ip.split(':').filter((g) => g !== '');
  return groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g) || parseIPv4(g) !== undefined) && (doubles === 1 || groups.length === 8);
}

export function isValidIP(ip: string): boolean {
  return parseIPv4(ip) !== undefined || isIPv6(ip);
}

export const IP_MESSAGE = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates `metadata.labels`-style maps (keys are qualified names, values label values). */
export function labelsErrors(labels: unknown, field: string): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (!isPlainObject(labels)) return [fieldErrors.invalid(field, '', 'must be a map of strings')];
  const errs: FieldError[] = [];
  for (const [key, value] of Object.entries(labels)) {
    for (const msg of qualifiedNameErrors(key)) errs.push(fieldErrors.invalid(field, key, msg));
    if (typeof value !== 'string') {
      errs.push(fieldErrors.invalid(`${field}[${key}]`, null, 'must be a string'));
      continue;
    }
    for (const msg of labelValueErrors(value)) errs.push(fieldErrors.invalid(field, value, msg));
  }
  return errs;
}

export function annotationsErrors(annotations: unknown, field: string): FieldError[] {
  if (annotations === undefined || annotations === null) return [];
  if (!isPlainObject(annotations)) return [fieldErrors.invalid(field, '', 'must be a map of strings')];
  const errs: FieldError[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    for (const msg of qualifiedNameErrors(key.toLowerCase())) errs.push(fieldErrors.invalid(field, key, msg));
    if (typeof value !== 'string') errs.push(fieldErrors.invalid(`${field}[${key}]`, null, 'must be a string'));
    else size += key.length + value.length;
  }
  if (size > 256 * 1024) errs.push(fieldErrors.tooLong(field, 256 * 1024));
  return errs;
}
