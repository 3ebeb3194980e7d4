import type { ButtonInteraction, ChatInputCommandInteraction, ModalSubmitInteraction, REST } from 'discord.js';
import { z } from 'zod';
import { CardHandleError } from '../../port.js';
import type { CardView } from '../../render/view.js';
import { cardMessageV2, type DiscordV2Message } from './card-v2.js';
import { cardMessage, type DiscordMessage } from './render.js';

/** The interactions the adapter answers with a message (autocomplete is answered apart). */
export type DiscordInteraction = ChatInputCommandInteraction | ButtonInteraction | ModalSubmitInteraction;

/**
 * Where a card lives. `webhook`: edited through the interaction token until `tokenExpiresAt`;
 * `channel`: edited with the bot token. Made when the interaction arrives (so the task record
 * carries it from its first write); `messageId` is added once Discord has said it. Stored by the
 * core as an opaque record, so it is parsed back with zod whenever it is read.
 */
export const DiscordCardHandle = z.object({
  applicationId: z.string(),
  guildId: z.string(),
  channelId: z.string(),
  messageId: z.string().optional(),
  route: z.enum(['webhook', 'channel']).default('webhook'),
  token: z.string().optional(),
  tokenExpiresAt: z.number().optional(),
  /** The webhook message to edit: `@original` for the interaction's own response, else its id. */
  target: z.string().default('@original'),
  /** Set when this message is a reply posted because the card itself could not be edited. */
  replyTo: z.string().optional(),
  /**
   * The message was made as a Components V2 card. Absent on cards from before V2: they keep their
   * old form (embed, URL in content), since the flag can never be added to or removed from them safely.
   */
  v2: z.boolean().optional(),
  /** The interaction's `attachment_size_limit` (bytes), the cap for files put on this card. */
  uploadLimit: z.number().int().positive().optional(),
});
export type DiscordCardHandle = z.infer<typeof DiscordCardHandle>;

/** Reads a stored handle back; anything else means there is no message to touch (not retried). */
export function parseCardHandle(handle: unknown): DiscordCardHandle {
  const parsed = DiscordCardHandle.safeParse(handle);
  if (!parsed.success) throw new CardHandleError('Discord', { cause: parsed.error });
  return parsed.data;
}

/**
 * The link Discord's own "Copy Message Link" gives, built from the handle (no call): undefined
 * until Discord has said the message's id. A message outside a server sits under `@me`.
 */
export function cardLinkOf(handle: unknown): string | undefined {
  const h = DiscordCardHandle.safeParse(handle);
  if (!h.success || !h.data.messageId) return undefined;
  return `https://discord.com/channels/${h.data.guildId || '@me'}/${h.data.channelId}/${h.data.messageId}`;
}

/**
 * A private answer after the acknowledgement, by how the interaction was acknowledged:
 * `followup`: a new ephemeral follow-up; `fill`: the ephemeral "thinking…" message becomes the
 * answer; `unpublic`: a public "thinking…" message is removed first (a follow-up would inherit its
 * public flag); `original`: the message a button was on (paging).
 */
export const DiscordReplyTarget = z.object({
  applicationId: z.string(),
  token: z.string(),
  mode: z.enum(['followup', 'fill', 'unpublic', 'original']),
});
export type DiscordReplyTarget = z.infer<typeof DiscordReplyTarget>;

/** Interaction tokens live 15 minutes (https://discord.com/developers/docs/interactions/receiving-and-responding). */
export const TOKEN_LIFETIME_MS = 15 * 60_000;
/** Switch to the bot route this long before the token dies, so no edit races the expiry. */
export const TOKEN_MARGIN_MS = 60_000;

/** Discord publishes no channel limit; 5 writes per 5 s is what holds in practice, until an answer says more. */
export const DISCORD_INITIAL_RATE = { limit: 5, windowMs: 5000 };

/** A message body as the REST API takes it; nobody gets pinged by a prompt that says @everyone. */
export const restBody = (message: DiscordMessage | DiscordV2Message) => ({
  ...message,
  allowed_mentions: { parse: [] },
});

/** The card in the form its message was made in (see DiscordCardHandle.v2). */
export const cardBody = (view: CardView, v2: boolean | undefined) =>
  restBody(v2 ? cardMessageV2(view) : cardMessage(view));

/** The REST calls the port makes; `messageRest()` in production. */
export type PortRest = Pick<REST, 'get' | 'patch' | 'post' | 'delete'>;
