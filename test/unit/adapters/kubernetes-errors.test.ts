/**
 * mapKubernetesError with constructed ApiExceptions: the statuses the sandbox can't produce (403 needs
 * RBAC, 401 credentials), both shapes of body client-node gives (JSON text or parsed), network failures.
 */
import { ApiException } from '@kubernetes/client-node';
import { mapKubernetesError, type K8sErrorContext } from '../../../src/adapters/kubernetes-errors.js';
import { BotError, type ErrorCode } from '../../../src/domain/errors.js';

function status(code: number, reason: string, message: string, causes?: { field?: string; message?: string; reason?: string }[]) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(causes ? { details: { causes } } : {}),
    code,
  };
}

function apiError(code: number, body: unknown): ApiException<unknown> {
  return new ApiException(code, `HTTP ${code}`, body, {});
}

const CREATE: K8sErrorContext = { cluster: 'prod', verb: 'create', resource: 'services', namespace: 'payments', name: 'web' };

function mapped(err: unknown, ctx: K8sErrorContext = CREATE): { code: ErrorCode; message: string; cause: unknown; transient: boolean } {
  const out = mapKubernetesError(err, ctx);
  expect(out).toBeInstanceOf(BotError);
  const bot = out as BotError;
  return { code: bot.code, message: bot.userMessage, cause: bot.cause, transient: bot.transient };
}

describe('403 Forbidden', () => {
  const forbidden = status(
    403,
    'Forbidden',
    'services is forbidden: User "system:serviceaccount:svcbot:svcbot" cannot create resource "services" in API group "" in the namespace "payments"',
  );

  test.each([
    ['as JSON text', JSON.stringify(forbidden)],
    ['parsed', forbidden],
  ])('names the verb, the resource, the namespace and the cluster (body %s)', (_shape, body) => {
    const err = apiError(403, body);
    const out = mapped(err);
    expect(out.code).toBe('forbidden');
    expect(out.message).toBe(
      "svcbot's service account on cluster `prod` is not allowed to create services in namespace `payments`. " +
        'Grant it the `create` verb on `services` (see manifests/rbac) or ask a cluster admin.',
    );
    expect(out.cause).toBe(err);
  });

  test('a cluster-wide call names no namespace', () => {
    const out = mapped(apiError(403, status(403, 'Forbidden', 'nodes is forbidden')), { cluster: 'prod', verb: 'list', resource: 'nodes' });
    expect(out.message).toContain('is not allowed to list nodes. ');
    expect(out.message).not.toContain('namespace');
  });

  test('deployments: the resource is named as such', () => {
    const out = mapped(apiError(403, status(403, 'Forbidden', 'x')), { cluster: 'prod', verb: 'get', resource: 'deployments', namespace: 'shop', name: 'api' });
    expect(out.message).toContain('not allowed to get deployments in namespace `shop`');
    expect(out.message).toContain('`get` verb on `deployments`');
  });
});

test('401: the cluster refused the credentials', () => {
  expect(mapped(apiError(401, status(401, 'Unauthorized', 'Unauthorized')))).toMatchObject({
    code: 'forbidden',
    message: "Cluster `prod` refused svcbot's credentials (401 Unauthorized).",
  });
});

describe('404 Not Found', () => {
  test('a missing Service', () => {
    expect(mapped(apiError(404, status(404, 'NotFound', 'services "web" not found')), { ...CREATE, verb: 'get' }).message).toBe(
      'No Service `web` in namespace `payments` on cluster `prod`.',
    );
  });

  test('a missing namespace (the API says so)', () => {
    expect(mapped(apiError(404, JSON.stringify(status(404, 'NotFound', 'namespaces "payments" not found'))))).toMatchObject({
      code: 'not_found',
      message: 'There is no namespace `payments` on cluster `prod`.',
    });
  });

  test('a missing deployment', () => {
    const out = mapped(apiError(404, status(404, 'NotFound', 'deployments.apps "api" not found')), { cluster: 'prod', verb: 'get', resource: 'deployments', namespace: 'shop', name: 'api' });
    expect(out.message).toBe('No Deployment `api` in namespace `shop` on cluster `prod`.');
  });
});

describe('409 Conflict', () => {
  test('AlreadyExists: suggests `type` or `delete`', () => {
    expect(mapped(apiError(409, status(409, 'AlreadyExists', 'services "web" already exists')))).toMatchObject({
      code: 'already_exists',
      message: 'Service `web` in namespace `payments` already exists on cluster `prod` — use `type` to change its type, or `delete` it first.',
    });
  });

  test('a stale resourceVersion: conflict, try again; permanent (the same conditional write can never succeed)', () => {
    const out = mapped(apiError(409, status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again')), { ...CREATE, verb: 'patch' });
    expect(out).toMatchObject({ code: 'conflict', message: 'Service `web` in namespace `payments` was changed by someone else meanwhile; try again.', transient: false });
  });

  test('a failed delete precondition: conflict, permanent', () => {
    const body = status(409, 'Conflict', 'Operation cannot be fulfilled on services "web": Precondition failed: ResourceVersion in precondition: 41, ResourceVersion in object meta: 42');
    expect(mapped(apiError(409, body), { ...CREATE, verb: 'delete' })).toMatchObject({ code: 'conflict', transient: false });
  });
});

describe('422 / 400: invalid', () => {
  test('every cause, one bullet each', () => {
    const body = status(422, 'Invalid', 'Service "web" is invalid: ...', [
      { field: 'spec.ports[1]', message: 'Duplicate value: {"port":80,"protocol":"TCP"}', reason: 'FieldValueDuplicate' },
      { field: 'spec.ports[0].name', message: 'Required value', reason: 'FieldValueRequired' },
      { reason: 'FieldValueInvalid' },
    ]);
    expect(mapped(apiError(422, body)).message).toBe(
      'Kubernetes rejected Service `web` in namespace `payments`:\n' +
        '• spec.ports[1]: Duplicate value: {"port":80,"protocol":"TCP"}\n' +
        '• spec.ports[0].name: Required value\n' +
        '• FieldValueInvalid',
    );
  });

  test('no causes: the Status message', () => {
    expect(mapped(apiError(400, status(400, 'BadRequest', 'the body of the request was in an unknown format'))).message).toBe(
      'Kubernetes rejected Service `web` in namespace `payments`:\n• the body of the request was in an unknown format',
    );
  });

  test('no Status at all', () => {
    expect(mapped(apiError(400, 'not json')).message).toContain('• the request was invalid');
  });
});

test.each([500, 503, 429, 504])('%i: cluster_unreachable naming the cluster and the status', (code) => {
  const out = mapped(apiError(code, status(code, 'InternalError', 'etcdserver: request timed out')));
  expect(out).toMatchObject({
    code: 'cluster_unreachable',
    message: `Cluster \`prod\` answered ${code} (etcdserver: request timed out) — try again shortly.`,
  });
});

describe('network failures', () => {
  test.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH'])('%s, however deep in the causes', (code) => {
    const sys = Object.assign(new Error(`connect ${code}`), { code });
    const wrapped = new Error('request failed', { cause: new Error('fetch failed', { cause: sys }) });
    expect(mapped(wrapped)).toMatchObject({ code: 'cluster_unreachable', message: `Cluster \`prod\` is unreachable (${code}) — try again shortly.` });
    expect(mapped(wrapped)).toMatchObject({ transient: true });
  });

  test('a node-fetch FetchError of type system', () => {
    const err = Object.assign(new Error('request to https://k8s failed, reason: socket hang up'), { name: 'FetchError', type: 'system', code: 'ECONNABORTED' });
    expect(mapped(err).message).toBe('Cluster `prod` is unreachable (ECONNABORTED) — try again shortly.');
  });
});

test('anything else (a bug) comes back unchanged; a BotError too', () => {
  const bug = new TypeError('cannot read properties of undefined');
  expect(mapKubernetesError(bug, CREATE)).toBe(bug);
  const bot = new BotError('invalid', 'already mapped');
  expect(mapKubernetesError(bot, CREATE)).toBe(bot);
});

test.each<{ what: string; err: unknown; transient: boolean }>([
  { what: '500', err: apiError(500, {}), transient: true },
  { what: '503', err: apiError(503, {}), transient: true },
  { what: '429', err: apiError(429, {}), transient: true },
  { what: '408', err: apiError(408, {}), transient: true },
  { what: '405', err: apiError(405, {}), transient: false },
  { what: '401', err: apiError(401, {}), transient: false },
  { what: '403', err: apiError(403, {}), transient: false },
  { what: '404', err: apiError(404, {}), transient: false },
  { what: '409', err: apiError(409, {}), transient: false },
  { what: '422', err: apiError(422, {}), transient: false },
])('the mapped error is marked transient where a retry can help: $what -> $transient', ({ err, transient }) => {
  expect(mapped(err)).toMatchObject({ transient });
});
