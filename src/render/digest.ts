/**
 * Several results for one channel as one message (a digest): what the Slack adapter posts instead of
 * one message each when results come faster than Slack takes a channel's messages. Each part keeps its
 * own words — its mention of the requester, its endpoints — one after the other.
 */
import { divider, LIMITS, section, type Block, type Message } from './blocks.js';

export function renderDigest(parts: readonly Message[]): Message {
  const text = [`${parts.length} results:`, ...parts.map((p) => p.text)].join('\n\n');
  if (parts.every((p) => p.blocks.length === 0)) return { text, blocks: [] };
  const blocks: Block[] = parts.flatMap((p, i) => [...(i > 0 ? [divider()] : []), ...(p.blocks.length > 0 ? p.blocks : [section(p.text)])]);
  // Too many to show as blocks: the text alone (Slack shows it when a message has no blocks).
  return { text, blocks: blocks.length <= LIMITS.blocks ? blocks : [] };
}
