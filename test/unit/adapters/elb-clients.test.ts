import { endpointClients } from '../../../src/adapters/clusters.js';
import type { ClusterConfig } from '../../../src/config/index.js';

function cluster(name: string, region: string | undefined): ClusterConfig {
  return { name, context: undefined, kubeconfig: undefined, region, clusterName: name, namespaces: undefined };
}

describe('ELB clients', () => {
  const factory = endpointClients({ kubeconfigYaml: '', elbEndpoint: 'http://127.0.0.1:1', region: 'us-east-1' }).createElbClient!;

  it('one per region: the clusters of a region share AWS’s rate for the account there', () => {
    const a = factory(cluster('a', 'eu-west-1'));
    expect(factory(cluster('b', 'eu-west-1'))).toBe(a);
    expect(factory(cluster('c', 'us-west-2'))).not.toBe(a);
  });

  it('retry in the SDK’s adaptive mode (a client-side rate that slows down when AWS throttles), 5 attempts', async () => {
    const client = factory(cluster('d', 'ap-south-1'));
    expect(await client.config.retryStrategy()).toMatchObject({ mode: 'adaptive' });
    expect(await client.config.maxAttempts()).toBe(5);
  });
});
