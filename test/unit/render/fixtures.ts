/** Builders of views and results for the rendering and endpoint tests. */
import type { EventView, NodeView, ServiceView } from '../../../src/domain/views.js';
import type { Message, Reply } from '../../../src/render/blocks.js';

export const NOW = new Date('2025-06-01T12:00:00Z');

export function minutesAgo(minutes: number): Date {
  return new Date(NOW.getTime() - minutes * 60_000);
}

export function makeService(overrides: Partial<ServiceView> = {}): ServiceView {
  return {
    cluster: 'prod',
    namespace: 'default',
    name: 'web',
    uid: '7d3c1a52-0000-4000-8000-000000000001',
    resourceVersion: '100',
    type: 'ClusterIP',
    clusterIP: '10.96.0.10',
    ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }],
    selector: { app: 'web' },
    loadBalancerHostnames: [],
    createdAt: minutesAgo(5),
    deleting: false,
    finalizers: [],
    ...overrides,
  };
}

export const NODES: NodeView[] = [
  { name: 'node-a', internalIP: '10.0.1.10', externalIP: '54.1.2.3', ready: true },
  { name: 'node-b', internalIP: '10.0.2.20', ready: true },
  { name: 'node-c', internalIP: '10.0.3.30', externalIP: '54.1.2.5', ready: false },
];

export function event(overrides: Partial<EventView> = {}): EventView {
  return { type: 'Normal', reason: 'EnsuredLoadBalancer', message: 'Ensured load balancer', count: 1, lastSeen: minutesAgo(1), ...overrides };
}

/** Names that would ping a channel or a user if they ever reached mrkdwn unescaped. */
export const EVIL = {
  cluster: '<!channel>',
  namespace: '<!here|here>',
  name: '<@U999>&co',
  text: 'boom <!everyone> <https://evil.example|click> & more',
} as const;

/** Every `<` that starts a Slack construct (mention, link, special mention) in a JSON-serialised reply. */
export function slackConstructs(serialised: string): string[] {
  return serialised.match(/<[@!#]?[A-Za-z0-9:/.|_-]+>/g) ?? [];
}

/** Every string a reply carries (fallback text, block texts, button labels and values), for "X appears" checks. */
export function everything(reply: { text: string; blocks: unknown[] }): string {
  return JSON.stringify(reply);
}

/** The mrkdwn a message's blocks show, block by block and context element by element. */
export function blockLines(m: Pick<Message, 'blocks'>): string[] {
  return m.blocks.flatMap((b) => {
    if (b.type === 'section') return b.text ? [b.text.text] : [];
    if (b.type === 'context') return b.elements.map((e) => e.text);
    return [];
  });
}

/** Every mrkdwn text a message carries (fallback and blocks), its code spans emptied: where Slack would format. */
export function outsideCode(m: Message): string {
  return [m.text, ...blockLines(m)].join('\n').replace(/`[^`\n]*`/g, '``');
}

/** A posted message as a Reply, for the checks and the console rendering that take one. */
export function asReply(m: Message): Reply {
  return { responseType: 'in_channel', ...m };
}
