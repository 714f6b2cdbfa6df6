import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { MANAGED_BY_LABEL, manifestYaml, serviceManifest, type ServiceManifestInput } from '../../../src/domain/manifest.js';

const input: ServiceManifestInput = {
  name: 'web',
  namespace: 'shop',
  selector: { app: 'web', tier: 'frontend' },
  ports: [
    { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
    { name: 'metrics', port: 9090, protocol: 'TCP' },
  ],
  type: 'LoadBalancer',
};

describe('serviceManifest', () => {
  it('builds a v1 Service labelled as managed by svcbot', () => {
    expect(serviceManifest(input)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop', labels: { [MANAGED_BY_LABEL]: 'svcbot' } },
      spec: {
        type: 'LoadBalancer',
        selector: { app: 'web', tier: 'frontend' },
        ports: [
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
        ],
      },
    });
  });

  it.each([
    ['an unnamed port keeps no name', { port: 53, protocol: 'UDP' as const }, { port: 53, targetPort: 53, protocol: 'UDP' }],
    ['a named target port is kept', { port: 80, targetPort: 'http', protocol: 'TCP' as const }, { port: 80, targetPort: 'http', protocol: 'TCP' }],
  ])('%s', (_title, port, expected) => {
    expect(serviceManifest({ ...input, ports: [port] }).spec.ports).toEqual([expected]);
  });

  it('keeps extra labels and annotations, but the managed-by label always says svcbot', () => {
    const m = serviceManifest({ ...input, labels: { team: 'shop', [MANAGED_BY_LABEL]: 'helm' }, annotations: { owner: 'U123' } });
    expect(m.metadata.labels).toEqual({ team: 'shop', [MANAGED_BY_LABEL]: 'svcbot' });
    expect(m.metadata.annotations).toEqual({ owner: 'U123' });
    expect(serviceManifest({ ...input, annotations: {} }).metadata).not.toHaveProperty('annotations');
  });

  it('never emits externalIPs, loadBalancerIP, clusterIP or status, whatever extra the input carries', () => {
    const sneaky = { ...input, externalIPs: ['1.2.3.4'], loadBalancerIP: '1.2.3.4', clusterIP: '10.0.0.1', status: {} } as ServiceManifestInput;
    const m = serviceManifest(sneaky);
    for (const key of ['externalIPs', 'loadBalancerIP', 'clusterIP']) expect(m.spec).not.toHaveProperty(key);
    expect(m).not.toHaveProperty('status');
    expect(manifestYaml(m)).not.toMatch(/externalIPs|loadBalancerIP|clusterIP|status/);
  });

  it('shares no objects with its input', () => {
    const m = serviceManifest(input);
    m.spec.selector.app = 'changed';
    (m.spec.ports[0] as { port: number }).port = 1;
    expect(input.selector.app).toBe('web');
    expect(input.ports[0]?.port).toBe(80);
  });
});

describe('manifestYaml', () => {
  it('is YAML that parses back to the manifest, in kubectl order', () => {
    const m = serviceManifest({ ...input, labels: { enabled: 'true', version: '1.10' } });
    const text = manifestYaml(m);
    expect(parse(text)).toEqual(m);
    expect(text.startsWith('apiVersion: v1\nkind: Service\nmetadata:\n')).toBe(true);
    expect(text).toContain('enabled: "true"'); // a string label value stays a string
  });
});
