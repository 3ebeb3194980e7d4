import { MessageFlags } from 'discord.js';
import { z } from 'zod';
import { cardButtonId } from '../../interaction-ids.js';

/** How far back to look for a card whose handle was lost in a crash. */
export const RECENT_MESSAGES = 50;

/**
 * Just what `findCard` reads from `GET /channels/{id}/messages`; components are walked as they come (V2 nests them).
 */
const RecentMessages = z.array(
  z.object({
    id: z.string(),
    application_id: z.string().optional(),
    author: z.object({ id: z.string() }),
    flags: z.number().int().optional(),
    components: z.array(z.unknown()).default([]),
  }),
);

/** Every custom_id in a message's components, at any depth (a V2 card keeps its buttons inside its container). */
function customIdsIn(components: readonly unknown[]): string[] {
  const ids: string[] = [];
  const walk = (c: unknown): void => {
    if (!c || typeof c !== 'object') return;
    const o = c as { custom_id?: unknown; components?: unknown; accessory?: unknown };
    if (typeof o.custom_id === 'string') ids.push(o.custom_id);
    if (Array.isArray(o.components)) o.components.forEach(walk);
    walk(o.accessory);
  };
  components.forEach(walk);
  return ids;
}
type RecentMessage = z.infer<typeof RecentMessages>[number];
export const MessageId = z.object({ id: z.string() });

/**
 * The card among recent messages (`answer`, as Discord sent it), by its Refresh button; only
 * messages `ours` accepts count. Undefined when the answer is unreadable or holds no such card.
 */
export function cardAmong(
  answer: unknown,
  taskId: string,
  ours: (m: RecentMessage) => boolean,
): { id: string; v2: boolean } | undefined {
  const wanted = cardButtonId('refresh', taskId);
  const messages = RecentMessages.safeParse(answer);
  if (!messages.success) return undefined;
  const found = messages.data.find((m) => ours(m) && customIdsIn(m.components).includes(wanted));
  return found && { id: found.id, v2: ((found.flags ?? 0) & MessageFlags.IsComponentsV2) !== 0 };
}
