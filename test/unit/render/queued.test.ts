import { describe, expect, it } from '@jest/globals';
import type { QueuedResult } from '../../../src/domain/results.js';
import { blockKitViolations, type Reply } from '../../../src/render/blocks.js';
import { renderQueued } from '../../../src/render/queued.js';

function queued(overrides: Partial<QueuedResult> = {}): QueuedResult {
  return {
    jobId: 'provision.prod.default.web',
    operation: 'provision',
    cluster: 'prod',
    namespace: 'default',
    name: 'web',
    duplicate: false,
    ...overrides,
  };
}

/** The mrkdwn the blocks show, block by block and element by element, one per line. */
function blockLines(reply: Reply): string[] {
  return reply.blocks.flatMap((b) => {
    if (b.type === 'section') return b.text ? [b.text.text] : [];
    if (b.type === 'context') return b.elements.map((e) => e.text);
    return [];
  });
}

const HINT = '`/svc jobs` shows where it stands; `/svc cancel provision.prod.default.web` stops it.';

describe('renderQueued', () => {
  it('queued: what, where, the job id, where its progress will be; then the hints', () => {
    const r = renderQueued(queued());
    expect(r.responseType).toBe('ephemeral');
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.blocks.map((b) => b.type)).toEqual(['section', 'context']);
    expect(blockLines(r)).toEqual([
      ':hourglass_flowing_sand: Queued the load balancer for `web` in namespace `default` on cluster `prod` as job `provision.prod.default.web` \u2014 its progress will be posted in this channel as it goes.',
      HINT,
    ]);
  });

  it('a duplicate: already in progress, nothing new queued; the same hints', () => {
    const r = renderQueued(queued({ duplicate: true }));
    expect(r.responseType).toBe('ephemeral');
    expect(blockKitViolations(r)).toEqual([]);
    expect(blockLines(r)).toEqual([
      'Already in progress: `provision.prod.default.web` (the load balancer for `web` in namespace `default` on cluster `prod`). Nothing new was queued.',
      HINT,
    ]);
    expect(r.text).not.toContain('Queued');
    expect(r.text).not.toContain(':hourglass_flowing_sand:');
  });

  it.each([
    ['provision', 'provision.staging.shop.cart', 'the load balancer for `cart`'],
    ['retype', 'retype.staging.shop.cart', 'the type change (load balancer removal) of `cart`'],
    ['delete', 'delete.staging.shop.cart', 'the deletion (load balancer removal) of `cart`'],
  ] as const)('%s names the change, the Service, its namespace and cluster', (operation, jobId, what) => {
    const r = renderQueued(queued({ operation, jobId, cluster: 'staging', namespace: 'shop', name: 'cart' }));
    expect(r.text).toContain(`Queued ${what} in namespace \`shop\` on cluster \`staging\` as job \`${jobId}\``);
    expect(r.text).toContain(`\`/svc cancel ${jobId}\` stops it.`);
    const dup = renderQueued(queued({ operation, jobId, cluster: 'staging', namespace: 'shop', name: 'cart', duplicate: true }));
    expect(dup.text).toContain(`Already in progress: \`${jobId}\` (${what} in namespace \`shop\` on cluster \`staging\`).`);
  });

  it("the hints use the command's configured name", () => {
    for (const duplicate of [false, true]) {
      const r = renderQueued(queued({ duplicate }), { commandName: '/lb' });
      expect(blockLines(r)[1]).toBe('`/lb jobs` shows where it stands; `/lb cancel provision.prod.default.web` stops it.');
      expect(JSON.stringify(r)).not.toContain('/svc');
    }
  });

  it('the plain-text fallback says exactly what the blocks show', () => {
    for (const result of [queued(), queued({ duplicate: true }), queued({ operation: 'delete', jobId: 'delete.prod.default.web' })]) {
      const r = renderQueued(result, { commandName: '/k8s' });
      expect(r.text).toBe(blockLines(r).join('\n'));
    }
  });
});
