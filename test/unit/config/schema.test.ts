/** Several clusters (src/config/schema.ts): inheritance from the top level and the rules across clusters. */
import { loadConfig } from '../../../src/config/index.js';
import { files, problemsOf } from './helpers.js';

describe('clusters', () => {
  const load = (yaml: string, env: NodeJS.ProcessEnv = {}) => loadConfig({ SVCBOT_CONFIG: '/c.yaml', ...env }, files({ '/c.yaml': yaml }));
  const problems = (yaml: string, env: NodeJS.ProcessEnv = {}) => problemsOf({ SVCBOT_CONFIG: '/c.yaml', ...env }, files({ '/c.yaml': yaml }));

  it('come from the list, in order, the first being the default', () => {
    const config = load(`clusters:
  - name: prod
    kubeconfig: /k/prod
    context: prod-admin
    region: us-east-1
    clusterName: prod-eks
  - name: staging
    kubeconfig: /k/staging
    region: eu-west-1
    clusterName: staging-eks
`);
    expect(config.clusters).toEqual([
      { name: 'prod', context: 'prod-admin', kubeconfig: '/k/prod', region: 'us-east-1', clusterName: 'prod-eks' },
      { name: 'staging', context: undefined, kubeconfig: '/k/staging', region: 'eu-west-1', clusterName: 'staging-eks' },
    ]);
  });

  it('inherit kubeconfig, clusterName and region from the top level (file or environment)', () => {
    const config = load(
      `kubeconfig: /k/all
clusters:
  - name: a
    context: a
    clusterName: a
  - name: b
    context: b
    region: eu-west-1
`,
      { AWS_REGION: 'us-west-2', CLUSTER_NAME: 'shared' },
    );
    expect(config.clusters).toEqual([
      { name: 'a', context: 'a', kubeconfig: '/k/all', region: 'us-west-2', clusterName: 'a' },
      { name: 'b', context: 'b', kubeconfig: '/k/all', region: 'eu-west-1', clusterName: 'shared' },
    ]);
  });

  it('namespaces (a namespaced install): SVCBOT_NAMESPACES or the top-level list for every cluster, a cluster\'s own list over it; sorted, each once', () => {
    const yaml = `kubeconfig: /k
namespaces: [shop, web, shop]
clusters:
  - name: a
    context: a
    clusterName: a
  - name: b
    context: b
    clusterName: b
    namespaces: [payments]
`;
    expect(load(yaml).clusters.map((c) => [c.name, c.namespaces])).toEqual([
      ['a', ['shop', 'web']],
      ['b', ['payments']],
    ]);
    expect(load(yaml, { SVCBOT_NAMESPACES: 'team-b, team-a' }).clusters.map((c) => c.namespaces)).toEqual([['team-a', 'team-b'], ['payments']]);
    expect(loadConfig({ KUBECONFIG: '/k', SVCBOT_NAMESPACES: 'team-a' }, files({})).clusters[0].namespaces).toEqual(['team-a']);
    expect(loadConfig({ KUBECONFIG: '/k' }, files({})).clusters[0].namespaces).toBeUndefined();
  });

  it.each([
    ['namespaces: []\n', '/c.yaml:2: namespaces: must list at least one namespace (or leave it out: every namespace)'],
    ['clusters:\n  - name: a\n    kubeconfig: /k\n    namespaces: []\n', '/c.yaml:5: clusters[0].namespaces: must list at least one namespace (or leave it out: every namespace)'],
    ['namespaces: [Team_A]\n', expect.stringMatching(/^\/c\.yaml:2: namespaces\[0\]: must be a namespace name/)],
  ])('namespaces %j is a problem', (yaml, problem) => {
    expect(problems(`kubeconfig: /k\n${yaml}`)).toEqual([problem]);
  });

  const cases: [yaml: string, env: NodeJS.ProcessEnv, expected: string[]][] = [
    ['clusters: []\n', {}, ['/c.yaml:1: clusters: must list at least one cluster (or leave it out for the default one)']],
    ['clusters: prod\n', {}, ['/c.yaml:1: clusters: must be a list (got a string)']],
    ['clusters:\n  - prod\n', {}, ['/c.yaml:2: clusters[0]: must be a mapping (got a string)']],
    ['clusters:\n  - kubeconfig: /k\n', {}, ['/c.yaml:2: clusters[0].name: is required']],
    [
      'clusters:\n  - name: Prod_1\n    kubeconfig: /k\n',
      {},
      [
        "/c.yaml:2: clusters[0].name: must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (like prod-eu) (got \"Prod_1\")",
      ],
    ],
    [
      'clusters:\n  - name: a\n    kubeconfig: /k\n    cluster: x\n',
      {},
      ["/c.yaml:4: clusters[0].cluster: unknown setting (did you mean 'clusterName'?)"],
    ],
    ['clusters:\n  - name: a\n    kubeconfig: /k\n    region: moon\n', {}, ['/c.yaml:4: clusters[0].region: must be an AWS region like us-east-1 (got "moon")']],
    [
      'clusters:\n  - name: a\n    kubeconfig: /k\n    context: a\n    clusterName: a\n  - name: a\n    kubeconfig: /k\n    context: b\n    clusterName: b\n',
      {},
      ["/c.yaml:6: clusters[1].name: duplicate cluster name 'a' (also clusters[0])"],
    ],
    [
      'clusters:\n  - name: a\n    context: admin\n',
      {},
      [
        '/c.yaml:3: clusters[0].context: needs a kubeconfig file (set clusters[0].kubeconfig, kubeconfig or KUBECONFIG); without one svcbot uses the in-cluster service account, which has no contexts',
      ],
    ],
    ['clusters:\n  - name: a\n    context: admin\n', { KUBECONFIG: '/k' }, []],
    [
      'clusters:\n  - name: a\n    clusterName: a\n  - name: b\n    clusterName: b\n',
      {},
      ['/c.yaml:4: clusters[1]: uses the in-cluster configuration as clusters[0]; give each cluster its own kubeconfig or context'],
    ],
    [
      'kubeconfig: /k\nclusters:\n  - name: a\n    clusterName: a\n  - name: b\n    clusterName: b\n',
      {},
      ['/c.yaml:5: clusters[1]: uses the same kubeconfig and context as clusters[0]; give each cluster its own kubeconfig or context'],
    ],
    [
      'kubeconfig: /k\nclusters:\n  - name: a\n    context: a\n  - name: b\n    context: b\n',
      {},
      [
        "/c.yaml:5: clusters[1]: has the same clusterName 'kubernetes' and region as clusters[0], so their load balancers would share the AWS tag kubernetes.io/cluster/kubernetes; give each cluster its own clusterName",
      ],
    ],
    [
      'kubeconfig: /k\nclusters:\n  - name: a\n    context: a\n    clusterName: x\n  - name: b\n    context: b\n    clusterName: x\n',
      {},
      [
        "/c.yaml:8: clusters[1].clusterName: has the same clusterName 'x' and region as clusters[0], so their load balancers would share the AWS tag kubernetes.io/cluster/x; give each cluster its own clusterName",
      ],
    ],
    // Same cluster name in different regions: different tags in practice.
    ['kubeconfig: /k\nclusters:\n  - name: a\n    context: a\n    region: us-east-1\n  - name: b\n    context: b\n    region: eu-west-1\n', {}, []],
    // A field that failed its own check does not cause follow-up problems.
    [
      'kubeconfig: /k\nclusters:\n  - name: a\n    context: a\n  - name: b\n    context: b\n    clusterName: "bad name"\n',
      {},
      [
        "/c.yaml:7: clusters[1].clusterName: must be 1-106 characters: letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes the AWS tag kubernetes.io/cluster/<name>) (got \"bad name\")",
      ],
    ],
  ];
  it.each(cases)('%j with %j', (yaml, env, expected) => {
    if (expected.length === 0) expect(load(yaml, env).clusters.length).toBeGreaterThan(0);
    else expect(problems(yaml, env)).toEqual(expected);
  });

  it('reports problems in several entries and the top level together', () => {
    const found = problems('port: x\nclusters:\n  - name: A\n  - kubeconfig: /k\n  - name: c\n    region: x\n', { LOG_LEVEL: 'nope' });
    expect(found).toEqual([
      '/c.yaml:1: port: must be an integer 0-65535 (got "x")',
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "nope")',
      expect.stringMatching(/^\/c\.yaml:3: clusters\[0\]\.name: must be a DNS label/),
      '/c.yaml:4: clusters[1].name: is required',
      '/c.yaml:6: clusters[2].region: must be an AWS region like us-east-1 (got "x")',
      // clusters[0] and [1] both inherit clusterName "kubernetes" and no region.
      expect.stringMatching(/^\/c\.yaml:4: clusters\[1\]: has the same clusterName 'kubernetes'/),
    ]);
  });
});
