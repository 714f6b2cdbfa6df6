/**
 * The EC2 flavour of the AWS Query protocol (API version 2016-11-15), written from the EC2 API
 * reference ("Query requests", "Error codes"): request lists are flattened and 1-based without
 * `.member` (`InstanceId.1`, `Filter.1.Name`, `Filter.1.Value.1`, `IpPermissions.1.IpRanges.1.CidrIp`),
 * answers are `<ActionResponse xmlns=…><requestId>…</requestId>…` with lists as `<item>`s, and errors
 * are `<Response><Errors><Error><Code>…</Code><Message>…</Message></Error></Errors><RequestID>…`.
 */
import { leaf, node } from '../elb/query.js';

export { leaf, node };

/** The API version `@aws-sdk/client-ec2` and `aws ec2` send. */
const EC2_VERSION = '2016-11-15';
/** XML namespace of the answers. */
const EC2_NAMESPACE = `http://ec2.amazonaws.com/doc/${EC2_VERSION}/`;

/** An EC2 API error: its code (`InvalidGroup.NotFound`), AWS's message and the HTTP status. */
export class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** `InvalidParameterValue`, the EC2 API's catch-all for a bad value. */
export function invalidParameterValue(message: string): Ec2Error {
  return new Ec2Error('InvalidParameterValue', message);
}

/** `MissingParameter`: "The request must contain the parameter NAME". */
function missingParameter(name: string): Ec2Error {
  return new Ec2Error('MissingParameter', `The request must contain the parameter ${name}`);
}

/** One record of an indexed list of structures (`Prefix.N.Field…`): its path and its own parameters. */
export class Ec2Struct {
  constructor(
    readonly path: string,
    private readonly params: Ec2Params,
  ) {}

  get(field: string): string | undefined {
    return this.params.get(`${this.path}.${field}`);
  }

  list(field: string): string[] {
    return this.params.list(`${this.path}.${field}`);
  }

  structs(field: string): Ec2Struct[] {
    return this.params.structs(`${this.path}.${field}`);
  }
}

/** Read access to one request's parameters, EC2 style. */
export class Ec2Params {
  constructor(private readonly params: URLSearchParams) {}

  get(key: string): string | undefined {
    return this.params.get(key) ?? undefined;
  }

  /** The indexes N present as `Prefix.N` or `Prefix.N.…`, ascending. */
  private indexes(prefix: string): number[] {
    const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.(\\d+)(?:\\.|$)`);
    const found = new Set<number>();
    for (const key of this.params.keys()) {
      const match = pattern.exec(key);
      if (match) found.add(Number(match[1]));
    }
    return [...found].sort((a, b) => a - b);
  }

  /** A list of scalars `Prefix.N`, in index order (empty when absent). */
  list(prefix: string): string[] {
    return this.indexes(prefix).flatMap((i) => {
      const value = this.params.get(`${prefix}.${i}`);
      return value === null ? [] : [value];
    });
  }

  /** A list of structures `Prefix.N.Field`, in index order (empty when absent). */
  structs(prefix: string): Ec2Struct[] {
    return this.indexes(prefix).map((i) => new Ec2Struct(`${prefix}.${i}`, this));
  }
}

/** One `Filter.N`: its name and accepted values (`*` and `?` wildcards, as EC2 filters allow). */
export interface Filter {
  name: string;
  values: string[];
}

export function filtersOf(p: Ec2Params): Filter[] {
  return p.structs('Filter').map((f) => {
    const name = f.get('Name');
    if (name === undefined || name === '') throw missingParameter(`${f.path}.Name`);
    return { name, values: f.list('Value') };
  });
}

/** Whether any of a filter's values matches `actual` (case-sensitive, `*` and `?` wildcards). */
export function filterMatches(values: readonly string[], actual: string | undefined): boolean {
  if (actual === undefined) return false;
  return values.some((v) => wildcard(v).test(actual));
}

function wildcard(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/** "The filter 'NAME' is invalid", as EC2 answers a filter name it does not know. */
export function invalidFilter(name: string): Ec2Error {
  return invalidParameterValue(`The filter '${name}' is invalid`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** An EC2 list: `<name><item>…</item>…</name>`, `<name/>` when empty. */
export function items<T>(name: string, list: readonly T[], render: (item: T) => string): string {
  return node(name, ...list.map((item) => `<item>${render(item)}</item>`));
}

export function ec2SuccessXml(action: string, requestId: string, body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<${action}Response xmlns="${EC2_NAMESPACE}">` +
    leaf('requestId', requestId) +
    body +
    `</${action}Response>\n`
  );
}

export function ec2ErrorXml(err: Ec2Error, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<Response>` +
    node('Errors', node('Error', leaf('Code', err.code), leaf('Message', err.message))) +
    leaf('RequestID', requestId) +
    `</Response>\n`
  );
}
