import { DiscordAPIError, makeURLSearchParams, RateLimitError, RESTJSONErrorCodes, Routes, type REST } from 'discord.js';
import { z } from 'zod';
import type { CardHandle, TaskScope } from '../../domain.js';
import { cardButtonId } from '../../interaction-ids.js';
import type { Logger } from '../../log.js';
import { CardGoneError, PortRateLimitError, type CardPort } from '../../port.js';
import type { CardView } from '../../render/view.js';
import { cardMessage, type DiscordMessage } from './render.js';

/**
 * Where a card lives. `webhook`: edited through the interaction token until `tokenExpiresAt`;
 * `channel`: edited with the bot token. Stored by the core as an opaque record, so it is parsed
 * back with zod whenever it is read.
 */
export const DiscordCardHandle = z.object({
  applicationId: z.string(),
  guildId: z.string(),
  channelId: z.string(),
  messageId: z.string(),
  route: z.enum(['webhook', 'channel']).default('webhook'),
  token: z.string().optional(),
  tokenExpiresAt: z.number().optional(),
  /** The webhook message to edit: `@original` for the interaction's own response, else its id. */
  target: z.string().default('@original'),
  /** Set when this message is a reply posted because the card itself could not be edited. */
  replyTo: z.string().optional(),
});
export type DiscordCardHandle = z.infer<typeof DiscordCardHandle>;

/** Interaction tokens live 15 minutes (REFERENCE Discord 2). */
export const TOKEN_LIFETIME_MS = 15 * 60_000;
/** Switch to the bot route this long before the token dies, so no edit races the expiry. */
export const TOKEN_MARGIN_MS = 60_000;

/**
 * Discord publishes no per-channel edit limit; about 5 per 5 s is what holds in practice. A
 * bucket of 3 refilled at 0.4/s can never spend more than 5 in any 5 s window.
 */
export const DEFAULT_EDIT_BUDGET = { capacity: 3, refillPerSec: 0.4 };

const TOKEN_DEAD = new Set<number | string>([RESTJSONErrorCodes.InvalidWebhookToken, RESTJSONErrorCodes.UnknownWebhook]);
const GONE = new Set<number | string>([RESTJSONErrorCodes.UnknownMessage, RESTJSONErrorCodes.UnknownChannel]);
/** The bot may not edit (or see) the message: post a reply instead. */
const NO_ACCESS = new Set<number | string>([RESTJSONErrorCodes.MissingAccess, RESTJSONErrorCodes.MissingPermissions, RESTJSONErrorCodes.CannotEditMessageAuthoredByAnotherUser]);

/** A message body as the REST API takes it; nobody gets pinged by a prompt that says @everyone. */
export const restBody = (message: DiscordMessage) => ({ ...message, allowed_mentions: { parse: [] } });

const codeOf = (err: unknown) => (err instanceof DiscordAPIError ? err.code : undefined);

function rateLimitOf(err: unknown): PortRateLimitError | undefined {
  if (!(err instanceof RateLimitError)) return undefined;
  // Retry-After is rounded up to whole seconds, Reset-After is precise: waiting the longer never re-trips.
  return new PortRateLimitError(Math.max(err.retryAfter, err.timeToReset, 1) || 1000, { cause: err });
}

/** How far back to look for a card whose handle was lost in a crash. */
const RECENT_MESSAGES = 50;

/** Just what `findCard` reads from `GET /channels/{id}/messages`. */
const RecentMessages = z.array(
  z.object({
    id: z.string(),
    application_id: z.string().optional(),
    author: z.object({ id: z.string() }),
    components: z.array(z.object({ components: z.array(z.object({ custom_id: z.string().optional() })).default([]) })).default([]),
  }),
);
type RecentMessage = z.infer<typeof RecentMessages>[number];

/** The REST calls the port makes; a discord.js `REST` in production. */
export type PortRest = Pick<REST, 'get' | 'patch' | 'post' | 'delete'>;

export interface DiscordPortOptions {
  /** A REST client that throws on rate limits instead of queueing (`rejectOnRateLimit`). */
  rest: PortRest;
  applicationId: string;
  /** The bot's user id once logged in (usually the application id). */
  botUserId?: () => string | undefined;
  log: Logger;
  editBudget?: { capacity: number; refillPerSec: number };
  now?: () => number;
}

/**
 * The tracker's way into Discord. Edits go through the interaction webhook while its token lives,
 * then through the bot's channel route, then (if even that is refused) as a reply to the card.
 */
export class DiscordCardPort implements CardPort {
  readonly platform = 'discord' as const;
  readonly editBudget: { capacity: number; refillPerSec: number };
  /** Tokens Discord refused once; using them again counts towards a ban (REFERENCE Discord 2). */
  private readonly deadTokens = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly o: DiscordPortOptions) {
    this.editBudget = o.editBudget ?? DEFAULT_EDIT_BUDGET;
    this.now = o.now ?? Date.now;
  }

  /** Marks a token as unusable (e.g. an interaction handler saw it refused). */
  retireToken(token: string): void {
    this.deadTokens.add(token);
  }

  private liveToken(h: DiscordCardHandle): string | undefined {
    if (h.route !== 'webhook' || !h.token || this.deadTokens.has(h.token)) return undefined;
    if (h.tokenExpiresAt === undefined || this.now() >= h.tokenExpiresAt) return undefined;
    return h.token;
  }

  async editCard(handle: CardHandle, view: CardView, _scope?: TaskScope): Promise<CardHandle | void> {
    const h = DiscordCardHandle.parse(handle);
    const body = restBody(cardMessage(view));
    const token = this.liveToken(h);
    if (token) {
      try {
        await this.o.rest.patch(Routes.webhookMessage(h.applicationId, token, h.target), { body, auth: false });
        return;
      } catch (err) {
        this.throwIfFinal(err);
        if (!TOKEN_DEAD.has(codeOf(err) ?? '')) throw err;
        this.deadTokens.add(token);
        this.o.log.info({ messageId: h.messageId, code: codeOf(err) }, 'interaction token refused; editing through the channel');
      }
    }
    const moved: DiscordCardHandle = { applicationId: h.applicationId, guildId: h.guildId, channelId: h.channelId, messageId: h.messageId, route: 'channel', target: h.target, ...(h.replyTo ? { replyTo: h.replyTo } : {}) };
    try {
      await this.o.rest.patch(Routes.channelMessage(h.channelId, h.messageId), { body });
      return h.route === 'channel' ? undefined : moved;
    } catch (err) {
      this.throwIfFinal(err);
      // A reply never gets a reply of its own: one stand-in per card, not a chain.
      if (!NO_ACCESS.has(codeOf(err) ?? '') || h.replyTo) throw err;
      this.o.log.warn({ messageId: h.messageId, code: codeOf(err) }, 'card cannot be edited; posting the update as a reply');
    }
    const reply = await this.post(h.channelId, { ...body, message_reference: { message_id: h.messageId, fail_if_not_exists: false } });
    return { applicationId: h.applicationId, guildId: h.guildId, channelId: h.channelId, messageId: reply, route: 'channel', target: '@original', replyTo: h.messageId } satisfies DiscordCardHandle;
  }

  /**
   * Called for a task that has no stored card (the bot died between posting it and saving its
   * handle). The card usually exists: find it among the channel's recent messages by its buttons
   * and take it over; post a new one only if it is not there.
   */
  async postCard(scope: TaskScope, view: CardView): Promise<CardHandle> {
    const body = restBody(cardMessage(view));
    const base = { applicationId: this.o.applicationId, guildId: scope.guildId, channelId: scope.channelId, route: 'channel', target: '@original' } as const;
    const orphan = await this.findCard(scope.channelId, view.taskId).catch((err: unknown) => {
      // Slowed down: try again later rather than post a duplicate. Anything else: just post.
      const limited = rateLimitOf(err);
      if (limited) throw limited;
      return undefined;
    });
    if (orphan) {
      try {
        await this.o.rest.patch(Routes.channelMessage(scope.channelId, orphan), { body });
        return { ...base, messageId: orphan } satisfies DiscordCardHandle;
      } catch (err) {
        const limited = rateLimitOf(err);
        if (limited) throw limited;
        this.o.log.info({ messageId: orphan, code: codeOf(err) }, 'found the old card but cannot edit it; posting a new one');
      }
    }
    return { ...base, messageId: await this.post(scope.channelId, body) } satisfies DiscordCardHandle;
  }

  private async findCard(channelId: string, taskId: string): Promise<string | undefined> {
    const answer = await this.o.rest.get(Routes.channelMessages(channelId), { query: makeURLSearchParams({ limit: RECENT_MESSAGES }) });
    const wanted = cardButtonId('refresh', taskId);
    const messages = RecentMessages.safeParse(answer);
    if (!messages.success) return undefined;
    const ours = (m: RecentMessage) => m.application_id === this.o.applicationId || m.author.id === this.o.applicationId || m.author.id === this.o.botUserId?.();
    return messages.data.find((m) => ours(m) && m.components.some((row) => row.components.some((c) => c.custom_id === wanted)))?.id;
  }

  async deleteCard(handle: CardHandle, _scope?: TaskScope): Promise<void> {
    const h = DiscordCardHandle.parse(handle);
    const token = this.liveToken(h);
    try {
      if (token) {
        try {
          await this.o.rest.delete(Routes.webhookMessage(h.applicationId, token, h.target), { auth: false });
          return;
        } catch (err) {
          if (!TOKEN_DEAD.has(codeOf(err) ?? '')) throw err;
          this.deadTokens.add(token);
        }
      }
      await this.o.rest.delete(Routes.channelMessage(h.channelId, h.messageId));
      // A reply stood in for a card the bot could not edit: the stale card goes too, if it can.
      if (h.replyTo) await this.o.rest.delete(Routes.channelMessage(h.channelId, h.replyTo)).catch(() => undefined);
    } catch (err) {
      // Already gone is what we wanted.
      if (GONE.has(codeOf(err) ?? '')) return;
      throw rateLimitOf(err) ?? err;
    }
  }

  private async post(channelId: string, body: object): Promise<string> {
    try {
      const answer = await this.o.rest.post(Routes.channelMessages(channelId), { body });
      return z.object({ id: z.string() }).parse(answer).id;
    } catch (err) {
      this.throwIfFinal(err);
      throw err;
    }
  }

  /** Rate limits pause the channel; a vanished message or channel ends the card. */
  private throwIfFinal(err: unknown): void {
    const limited = rateLimitOf(err);
    if (limited) throw limited;
    if (GONE.has(codeOf(err) ?? '')) throw new CardGoneError('the Discord card message is gone', { cause: err });
  }
}
