/**
 * The ClusterRegistry contract: the real registry (built from configuration) and the in-memory one
 * resolve cluster names the same way. `setup(names)` builds a registry of clusters with those names.
 */
import type { ClusterRegistry } from '../../src/ports/clusters.js';
import { expectBotError } from './expect-bot-error.js';

export interface ClusterRegistryFixture {
  registry: ClusterRegistry;
  teardown(): Promise<void>;
}

export function clusterRegistryContract(name: string, setup: (names: readonly [string, ...string[]]) => Promise<ClusterRegistryFixture>): void {
  describe(`ClusterRegistry contract: ${name}`, () => {
    let fixture: ClusterRegistryFixture;

    beforeAll(async () => {
      fixture = await setup(['prod', 'staging', 'dev-eu']);
    });
    afterAll(async () => {
      await fixture?.teardown();
    });

    test('names in configuration order; the first is the default', () => {
      const { registry } = fixture;
      expect(registry.names).toEqual(['prod', 'staging', 'dev-eu']);
      expect(registry.get().cluster.name).toBe('prod');
    });

    test('each name gives its own cluster and load balancers', () => {
      const { registry } = fixture;
      const targets = registry.names.map((n) => registry.get(n));
      expect(targets.map((t) => t.cluster.name)).toEqual(['prod', 'staging', 'dev-eu']);
      expect(new Set(targets.map((t) => t.loadBalancers)).size).toBe(3);
      expect(registry.get('staging')).toBe(registry.get('staging'));
    });

    test('an unknown name is unknown_cluster, with did-you-mean and the configured names', async () => {
      const { registry } = fixture;
      await expectBotError(
        Promise.resolve().then(() => registry.get('stagign')),
        'unknown_cluster',
        'There is no cluster `stagign` configured.',
        'Did you mean `staging`?',
        'Configured: `prod`, `staging`, `dev-eu`.',
      );
      const far = await expectBotError(Promise.resolve().then(() => registry.get('qa')), 'unknown_cluster', '`qa`', 'Configured: `prod`, `staging`, `dev-eu`.');
      expect(far.userMessage).not.toContain('Did you mean');
    });

    test('names are matched exactly', async () => {
      await expectBotError(Promise.resolve().then(() => fixture.registry.get('PROD')), 'unknown_cluster', 'Did you mean `prod`?');
    });
  });
}
