/**
 * `labelSelector` and `fieldSelector` query parameters, parsed with the apiserver's grammar:
 * labels: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a` (and `a>1`, `a<1`);
 * fields: `f=v`, `f==v`, `f!=v`, with `\` escaping `,`, `=` and `\` in values.
 */
import { badRequest } from './errors.js';

type LabelOperator = 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'GreaterThan' | 'LessThan';

interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export type LabelSelector = LabelRequirement[];

type Token =
  | { kind: 'ident'; text: string }
  | { kind: 'op'; text: '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '>' | '<' }
  | { kind: 'end' };

function describe(t: Token): string {
  return t.kind === 'end' ? 'end of string' : t.text;
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const special = new Set(['=', '!', '(', ')', ',', '>', '<']);
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '=' && input[i + 1] === '=') {
      tokens.push({ kind: 'op', text: '==' });
      i += 2;
    } else if (c === '!' && input[i + 1] === '=') {
      tokens.push({ kind: 'op', text: '!=' });
      i += 2;
    } else if (special.has(c)) {
      tokens.push({ kind: 'op', text: c as '=' | '!' | '(' | ')' | ',' | '>' | '<' });
      i++;
    } else {
      let j = i;
      while (j < input.length && !special.has(input[j]!) && !/\s/.test(input[j]!)) j++;
      tokens.push({ kind: 'ident', text: input.slice(i, j) });
      i = j;
    }
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

function parseError(detail: string): Error {
  return badRequest(`unable to parse requirement: ${detail}`);
}

/** Parses a label selector; an empty string selects everything. Throws a 400 KubeApiError. */
export function parseLabelSelector(input: string): LabelSelector {
  const tokens = tokenize(input);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  const reqs: LabelRequirement[] = [];
  if (peek().kind === 'end') return reqs;

  const readIdent = (what: string): string => {
    const t = next();
    if (t.kind !== 'ident') throw parseError(`found '${describe(t)}', expected: ${what}`);
    return t.text;
  };
  const atValueEnd = (t: Token): boolean => t.kind === 'end' || (t.kind === 'op' && t.text === ',');

  for (;;) {
    const first = peek();
    if (first.kind === 'op' && first.text === '!') {
      next();
      reqs.push({ key: readIdent('identifier'), operator: 'DoesNotExist', values: [] });
    } else {
      const key = readIdent('identifier');
      const op = peek();
      if (atValueEnd(op)) {
        reqs.push({ key, operator: 'Exists', values: [] });
      } else if (op.kind === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) {
        next();
        const value = atValueEnd(peek()) ? '' : readIdent('identifier');
        reqs.push({ key, operator: op.text === '!=' ? 'NotEquals' : 'Equals', values: [value] });
      } else if (op.kind === 'op' && (op.text === '>' || op.text === '<')) {
        next();
        const value = readIdent('identifier');
        if (!/^-?\d+$/.test(value)) throw parseError(`for 'Gt', 'Lt' operators, the value must be an integer`);
        reqs.push({ key, operator: op.text === '>' ? 'GreaterThan' : 'LessThan', values: [value] });
      } else if (op.kind === 'ident' && (op.text === 'in' || op.text === 'notin')) {
        next();
        const open = next();
        if (open.kind !== 'op' || open.text !== '(') throw parseError(`found '${describe(open)}', expected: '('`);
        const values: string[] = [];
        const close = peek();
        if (close.kind === 'op' && close.text === ')') throw parseError("for 'in', 'notin' operators, values set can't be empty");
        for (;;) {
          const t = peek();
          if (t.kind === 'ident') {
            values.push(t.text);
            next();
          } else if (t.kind === 'op' && (t.text === ',' || t.text === ')')) {
            values.push(''); // an empty element, as in `in (a,)`, is the empty string
          } else {
            throw parseError(`found '${describe(t)}', expected: ',', ')' or identifier`);
          }
          const sep = next();
          if (sep.kind === 'op' && sep.text === ')') break;
          if (sep.kind !== 'op' || sep.text !== ',') throw parseError(`found '${describe(sep)}', expected: ',' or ')'`);
        }
        reqs.push({ key, operator: op.text === 'in' ? 'In' : 'NotIn', values });
      } else {
        throw parseError(`found '${describe(op)}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.kind !== 'op' || sep.text !== ',') throw parseError(`found '${describe(sep)}', expected: ',' or 'end of string'`);
  }
  return reqs;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const req of selector) {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    const value = has ? l[req.key] : undefined;
    switch (req.operator) {
      case 'Equals':
      case 'In':
        if (!has || !req.values.includes(value!)) return false;
        break;
      case 'NotEquals':
      case 'NotIn':
        if (has && req.values.includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      case 'GreaterThan':
      case 'LessThan': {
        if (!has || !/^-?\d+$/.test(value!)) return false;
        const n = Number(value);
        const bound = Number(req.values[0]);
        if (req.operator === 'GreaterThan' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

/** True when every key/value of `selector` is among `labels` (a Service's `spec.selector`). */
export function matchesMap(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels?.[k] !== v) return false;
  return true;
}

/* ------------------------------------------------------------------------------ field selectors */

interface FieldRequirement {
  field: string;
  operator: 'Equals' | 'NotEquals';
  value: string;
}

export type FieldSelector = FieldRequirement[];

function splitUnescaped(input: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '\\' && i + 1 < input.length) {
      cur += c + input[i + 1]!;
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

function unescapeValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\') {
      const n = v[i + 1];
      if (n === '\\' || n === ',' || n === '=') {
        out += n;
        i++;
        continue;
      }
      throw badRequest(`invalid field selector: invalid escape sequence: \\${n ?? ''}`);
    }
    out += c;
  }
  return out;
}

/**
 * Parses a field selector and checks every field against `supported` (the fields the resource
 * can be selected by); an unknown field is a 400 like the apiserver's.
 */
export function parseFieldSelector(input: string, supported: ReadonlySet<string>): FieldSelector {
  const reqs: FieldRequirement[] = [];
  if (input.trim() === '') return reqs;
  for (const term of splitUnescaped(input, ',')) {
    const m = /^([^=!]*?)(==|!=|=)(.*)$/s.exec(term);
    if (!m) throw badRequest(`invalid selector: '${input}'; can't understand '${term}'`);
    const field = m[1]!.trim();
    if (!supported.has(field)) throw badRequest(`field label not supported: ${field}`);
    reqs.push({ field, operator: m[2] === '!=' ? 'NotEquals' : 'Equals', value: unescapeValue(m[3]!) });
  }
  return reqs;
}

export function matchesFields(selector: FieldSelector, get: (field: string) => string | undefined): boolean {
  for (const req of selector) {
    const value = get(req.field) ?? '';
    if (req.operator === 'Equals' ? value !== req.value : value === req.value) return false;
  }
  return true;
}

/**
 * metav1.LabelSelectorAsSelector(selector).String(), the text kubectl prints and a Scale's
 * `status.selector` carries: `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, sorted by key
 * (values sorted too). `<none>` for no selector, `<invalid>` for an unknown operator.
 */
export function formatLabelSelector(selector: unknown): string {
  if (selector === null || typeof selector !== 'object' || Array.isArray(selector)) return '<none>';
  const sel = selector as { matchLabels?: unknown; matchExpressions?: unknown };
  const reqs: { key: string; text: string }[] = [];
  const labels = sel.matchLabels !== null && typeof sel.matchLabels === 'object' ? (sel.matchLabels as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of Array.isArray(sel.matchExpressions) ? (sel.matchExpressions as unknown[]) : []) {
    const expr = (e !== null && typeof e === 'object' ? e : {}) as { key?: unknown; operator?: unknown; values?: unknown };
    const key = typeof expr.key === 'string' ? expr.key : '';
    const values = (Array.isArray(expr.values) ? (expr.values as unknown[]) : []).filter((v): v is string => typeof v === 'string').sort();
    switch (expr.operator) {
      case 'In':
        reqs.push({ key, text: `${key} in (${values.join(',')})` });
        break;
      case 'NotIn':
        reqs.push({ key, text: `${key} notin (${values.join(',')})` });
        break;
      case 'Exists':
        reqs.push({ key, text: key });
        break;
      case 'DoesNotExist':
        reqs.push({ key, text: `!${key}` });
        break;
      default:
        return '<invalid>';
    }
  }
  return reqs
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(',');
}
