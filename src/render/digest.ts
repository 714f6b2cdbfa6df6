/**
 * Several messages for one channel as one message (a digest): what the Slack adapter posts instead of
 * one message each when they come faster than Slack takes a channel's messages — jobs' results, or audit
 * entries. Each part keeps its own words (already escaped by its renderer) — a requester's mention and
 * endpoints, an entry's every line — one after the other, in order.
 */
import { divider, LIMITS, section, type Block, type Message } from './blocks.js';

export type DigestKind = 'results' | 'audit';

const TITLES: Readonly<Record<DigestKind, (n: number) => string>> = {
  results: (n) => `${n} results:`,
  audit: (n) => `:ledger: ${n} audit entries, oldest first:`,
};

/** The digest's text without its parts: what a digest of `n` parts adds to their texts (`digestSize`). */
const OVERHEAD_PER_PART = 2;
const MAX_TITLE = 64;

/**
 * How much of a digest's text `part` takes: the send queue adds parts while their sizes fit
 * `DIGEST_MAX_SIZE`, so a digest's text stays within Slack's recommended 4,000 characters (a part larger
 * than that goes alone, as it would have without the digest).
 */
export function digestSize(part: Message): number {
  return part.text.length + OVERHEAD_PER_PART;
}
export const DIGEST_MAX_SIZE = LIMITS.fallbackText - MAX_TITLE;

export function renderDigest(parts: readonly Message[], kind: DigestKind = 'results'): Message {
  const text = [TITLES[kind](parts.length), ...parts.map((p) => p.text)].join('\n\n');
  if (parts.every((p) => p.blocks.length === 0)) return { text, blocks: [] };
  const blocks: Block[] = parts.flatMap((p, i) => [...(i > 0 ? [divider()] : []), ...(p.blocks.length > 0 ? p.blocks : [section(p.text)])]);
  // Too many to show as blocks: the text alone (Slack shows it when a message has no blocks).
  return { text, blocks: blocks.length <= LIMITS.blocks ? blocks : [] };
}
