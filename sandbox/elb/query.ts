/**
 * The AWS Query protocol's two halves as both ELB APIs use them (classic 2012-06-01 and ELBv2
 * 2015-12-01): reading form-encoded request parameters (`LoadBalancerNames.member.1=...`,
 * `Listeners.member.1.Protocol=...`) and writing XML responses (`<XResponse><XResult>...</XResult>
 * <ResponseMetadata>...`, `<ErrorResponse>`) in the API version's namespace.
 */
import { type ElbError, senderError } from './store.js';

/** XML namespace of the classic ELB API's answers. */
export const ELB_NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/';
/** XML namespace of the ELBv2 API's answers. */
export const ELBV2_NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

// ---------------------------------------------------------------------------------------------------
// Request parameters

/** `lowerCamel` form of a parameter path, as AWS names members in validation messages. */
function memberPath(path: string): string {
  return path
    .split('.')
    .map((part) => part.charAt(0).toLowerCase() + part.slice(1))
    .join('.');
}

function validationMessage(problems: string[]): string {
  const count = problems.length;
  return `${count} validation error${count === 1 ? '' : 's'} detected: ${problems.join('; ')}`;
}

export function notNull(path: string): ElbError {
  return senderError(
    'ValidationError',
    validationMessage([`Value null at '${memberPath(path)}' failed to satisfy constraint: Member must not be null`]),
  );
}

export function constraint(path: string, value: string, rule: string): ElbError {
  return senderError(
    'ValidationError',
    validationMessage([`Value '${value}' at '${memberPath(path)}' failed to satisfy constraint: ${rule}`]),
  );
}

/** Read access to one request's parameters. */
export class QueryParams {
  constructor(private readonly params: URLSearchParams) {}

  has(key: string): boolean {
    return this.params.has(key);
  }

  optional(key: string): string | undefined {
    return this.params.get(key) ?? undefined;
  }

  /** A required scalar; absent or empty is `ValidationError` "Value null at ... must not be null". */
  required(key: string): string {
    const value = this.params.get(key);
    if (value === null || value === '') throw notNull(key);
    return value;
  }

  optionalInt(key: string): number | undefined {
    const raw = this.optional(key);
    if (raw === undefined || raw === '') return undefined;
    if (!/^-?\d+$/.test(raw)) throw constraint(key, raw, 'Member must be an integer');
    return Number(raw);
  }

  requiredInt(key: string): number {
    const value = this.optionalInt(key);
    if (value === undefined) throw notNull(key);
    return value;
  }

  /**
   * A list of scalars: `Prefix.member.N` in index order. An empty list is sent as `Prefix=`. `undefined`
   * when the list is absent altogether, so callers can tell "not given" from "given empty".
   */
  list(prefix: string): string[] | undefined {
    const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.member\\.(\\d+)$`);
    const entries: [number, string][] = [];
    for (const [key, value] of this.params) {
      const match = pattern.exec(key);
      if (match) entries.push([Number(match[1]), value]);
    }
    if (entries.length === 0) return this.params.has(prefix) ? [] : undefined;
    return entries.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
  }

  /** A list of structures: `Prefix.member.N.Field`, one record of field -> value per N, in index order. */
  structList(prefix: string): { path: string; fields: Map<string, string> }[] | undefined {
    const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.member\\.(\\d+)\\.(.+)$`);
    const byIndex = new Map<number, Map<string, string>>();
    for (const [key, value] of this.params) {
      const match = pattern.exec(key);
      if (!match) continue;
      const index = Number(match[1]);
      const fields = byIndex.get(index) ?? new Map<string, string>();
      fields.set(match[2] ?? '', value);
      byIndex.set(index, fields);
    }
    if (byIndex.size === 0) return this.params.has(prefix) ? [] : undefined;
    return [...byIndex.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([index, fields]) => ({ path: `${prefix}.member.${index}`, fields }));
  }
}

/**
 * `Tags.member.N.Key/Value` as a record (both APIs' CreateLoadBalancer and AddTags); repeated keys are
 * `DuplicateTagKeys`. With `required`, an absent or empty list is a `ValidationError`.
 */
export function tagParams(p: QueryParams, required: boolean): Record<string, string> {
  const list = p.structList('Tags');
  if (list === undefined || list.length === 0) {
    if (!required) return {};
    throw list === undefined ? notNull('Tags') : constraint('Tags', '[]', 'Member must have length greater than or equal to 1');
  }
  const tags: Record<string, string> = {};
  for (const { path, fields } of list) {
    const key = fields.get('Key');
    if (key === undefined) throw notNull(`${path}.Key`);
    if (Object.hasOwn(tags, key)) throw senderError('DuplicateTagKeys', `Tag key '${key}' was specified more than once.`);
    tags[key] = fields.get('Value') ?? '';
  }
  return tags;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------------
// XML

/**
 * Escapes text for XML element content (this module writes no attribute values but the constant
 * namespace, so quotes stay as they are, as in AWS's answers). Characters XML 1.0 cannot carry at all
 * (most C0 controls, lone surrogates) become U+FFFD.
 */
function escapeXml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex -- these are exactly the characters being removed
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** `<name>escaped value</name>`; nothing when the value is undefined. */
export function leaf(name: string, value: string | number | boolean | Date | undefined): string {
  if (value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return `<${name}>${escapeXml(text)}</${name}>`;
}

/** `<name>children</name>` where the children are already XML. */
export function node(name: string, ...children: string[]): string {
  const inner = children.join('');
  return inner === '' ? `<${name}/>` : `<${name}>${inner}</${name}>`;
}

/** A Query-protocol list: `<name><member>…</member>…</name>`. */
export function members<T>(name: string, items: readonly T[], render: (item: T) => string): string {
  return node(name, ...items.map((item) => `<member>${render(item)}</member>`));
}

export function successXml(action: string, requestId: string, result: string, namespace = ELB_NAMESPACE): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<${action}Response xmlns="${namespace}">` +
    node(`${action}Result`, result) +
    node('ResponseMetadata', leaf('RequestId', requestId)) +
    `</${action}Response>\n`
  );
}

export function errorXml(err: ElbError, requestId: string, namespace = ELB_NAMESPACE): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<ErrorResponse xmlns="${namespace}">` +
    node('Error', leaf('Type', err.type), leaf('Code', err.code), leaf('Message', err.message)) +
    leaf('RequestId', requestId) +
    `</ErrorResponse>\n`
  );
}
