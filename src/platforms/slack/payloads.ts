import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Invocation } from '../../../commands/types.js';
import type { CardHandle } from '../../domain.js';
import { CardHandleError } from '../../port.js';

/**
 * The parts of Slack's payloads the adapter reads, parsed once at the edge. Bolt has already
 * verified the signature; these schemas only make sure the fields we rely on are there.
 */

const Id = z.string().min(1).max(64);

/** A slash command (form fields; Slack's documented names). */
export const SlashCommandPayload = z.object({
  team_id: Id,
  channel_id: Id,
  user_id: Id,
  user_name: z.string().optional(),
  command: z.string().min(2),
  text: z.string().default(''),
  response_url: z.string().optional(),
  trigger_id: z.string().max(256).optional(),
});
export type SlashCommandPayload = z.infer<typeof SlashCommandPayload>;

const Action = z.object({
  action_id: z.string(),
  type: z.string(),
  value: z.string().optional(),
  url: z.string().optional(),
});

/** A `block_actions` interaction: a button click on a card, a list page, or a link button. */
export const BlockActionsPayload = z.object({
  type: z.literal('block_actions'),
  team: z.object({ id: Id }).nullish(),
  user: z.object({
    id: Id,
    username: z.string().optional(),
    name: z.string().optional(),
    team_id: z.string().optional(),
  }),
  channel: z.object({ id: Id }).nullish(),
  container: z.object({ channel_id: z.string().optional(), is_ephemeral: z.boolean().optional() }).partial().nullish(),
  actions: z.array(Action).min(1),
  response_url: z.string().optional(),
  trigger_id: z.string().max(256).optional(),
});
export type BlockActionsPayload = z.infer<typeof BlockActionsPayload>;

/** Our card handle: where chat.update finds the message. */
export const SlackHandle = z.object({ channel: Id, ts: z.string().regex(/^\d+\.\d+$/) });
export type SlackHandle = z.infer<typeof SlackHandle>;

/**
 * The claim key of one Slack request (see request-claims.ts): its `trigger_id`, which Slack gives
 * every slash command and button click, unique to that one action and the same when Slack retries
 * it. A payload without one (none is documented) falls back to a hash of who, where, what and its
 * `response_url`, itself unique per invocation; the request's signature timestamp is no key, since
 * a retry is signed anew.
 */
export function slackRequestKey(
  p: { trigger_id?: string | undefined; response_url?: string | undefined },
  parts: readonly string[],
): string | undefined {
  if (p.trigger_id) return `slack:${p.trigger_id}`;
  if (!p.response_url) return undefined;
  return `slack:h:${createHash('sha256')
    .update([...parts, p.response_url].join('\n'))
    .digest('base64url')}`;
}

/** On Slack, roleIds is the user's own id, so ALLOWED_ROLE_IDS can list users; ADMIN_USER_IDS decides admins. */
export function commandInvocation(p: SlashCommandPayload): Invocation {
  return {
    platform: 'slack',
    guildId: p.team_id,
    channelId: p.channel_id,
    user: { id: p.user_id, name: p.user_name || p.user_id, roleIds: [p.user_id], isAdmin: false },
    ...withKey(slackRequestKey(p, [p.team_id, p.channel_id, p.user_id, p.command, p.text])),
  };
}

const withKey = (requestKey: string | undefined) => (requestKey ? { requestKey } : {});

/** Undefined when the click has no workspace or channel to act in (nothing we posted). */
export function actionInvocation(p: BlockActionsPayload): Invocation | undefined {
  const guildId = p.team?.id ?? p.user.team_id;
  const channelId = p.channel?.id ?? p.container?.channel_id;
  if (!guildId || !channelId) return undefined;
  return {
    platform: 'slack',
    guildId,
    channelId,
    user: { id: p.user.id, name: p.user.username || p.user.name || p.user.id, roleIds: [p.user.id], isAdmin: false },
    ...withKey(
      slackRequestKey(p, [guildId, channelId, p.user.id, ...p.actions.map((a) => `${a.action_id}=${a.value ?? ''}`)]),
    ),
  };
}

/** Reads a stored handle back; anything else means there is no message to touch. */
export function parseHandle(handle: CardHandle): SlackHandle {
  const parsed = SlackHandle.safeParse(handle);
  if (!parsed.success) throw new CardHandleError('Slack', { cause: parsed.error });
  return parsed.data;
}
