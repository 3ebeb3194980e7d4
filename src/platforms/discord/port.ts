import {
  DiscordAPIError,
  makeURLSearchParams,
  MessageFlags,
  RateLimitError,
  RESTJSONErrorCodes,
  Routes,
  type RawFile,
  type REST,
} from 'discord.js';
import { z } from 'zod';
import type { CardHandle, TaskScope } from '../../domain.js';
import { cardButtonId } from '../../interaction-ids.js';
import type { Logger } from '../../log.js';
import {
  CardGoneError,
  PortRateLimitError,
  type PlatformPort,
  type RateInfo,
  type ReplyTarget,
  type Written,
} from '../../port.js';
import type { CardView, PrivateView } from '../../render/view.js';
import { cardMessageV2, type DiscordV2Message } from './card-v2.js';
import { cardMessage, privateMessage, type DiscordMessage } from './render.js';
import { rateOfError, withRate } from './rest.js';
import { DiscordMediaSink } from './upload.js';

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

/** Interaction tokens live 15 minutes (REFERENCE Discord 2). */
export const TOKEN_LIFETIME_MS = 15 * 60_000;
/** Switch to the bot route this long before the token dies, so no edit races the expiry. */
export const TOKEN_MARGIN_MS = 60_000;

/** Discord publishes no channel limit; 5 writes per 5 s is what holds in practice, until an answer says more. */
export const DISCORD_INITIAL_RATE = { limit: 5, windowMs: 5000 };

const TOKEN_DEAD = new Set<number | string>([
  RESTJSONErrorCodes.InvalidWebhookToken,
  RESTJSONErrorCodes.UnknownWebhook,
]);
const GONE = new Set<number | string>([RESTJSONErrorCodes.UnknownMessage, RESTJSONErrorCodes.UnknownChannel]);
/** The bot may not edit (or see) the message: post a reply instead. */
const NO_ACCESS = new Set<number | string>([
  RESTJSONErrorCodes.MissingAccess,
  RESTJSONErrorCodes.MissingPermissions,
  RESTJSONErrorCodes.CannotEditMessageAuthoredByAnotherUser,
]);
/** Refused tokens are remembered this long at most (a token lives 15 minutes). */
const DEAD_TOKEN_MEMORY_MS = TOKEN_LIFETIME_MS;
const MAX_DEAD_TOKENS = 10_000;

/** A message body as the REST API takes it; nobody gets pinged by a prompt that says @everyone. */
export const restBody = (message: DiscordMessage | DiscordV2Message) => ({
  ...message,
  allowed_mentions: { parse: [] },
});

/** The card in the form its message was made in (see DiscordCardHandle.v2). */
export const cardBody = (view: CardView, v2: boolean | undefined) =>
  restBody(v2 ? cardMessageV2(view) : cardMessage(view));

const codeOf = (err: unknown) => (err instanceof DiscordAPIError ? err.code : undefined);

/**
 * A 429 (or a bucket discord.js knows is empty): wait exactly what Discord said. `timeToReset`
 * comes from the answer's precise `X-RateLimit-Reset-After`, of which `Retry-After` is the
 * whole-second round-up; when they disagree by more than that rounding (another scope is
 * limited), or there is no reset, `Retry-After` decides.
 */
function rateLimitOf(err: unknown): PortRateLimitError | undefined {
  if (!(err instanceof RateLimitError)) return undefined;
  const precise = err.timeToReset > 0 && err.retryAfter - err.timeToReset < 1000;
  const wait = precise ? err.timeToReset : Math.max(err.retryAfter, err.timeToReset);
  const reported = rateOfError(err);
  const rate: RateInfo = {
    ...reported,
    remaining: 0,
    resetAfterMs: wait,
    ...(Number.isFinite(err.limit) ? { limit: err.limit } : {}),
  };
  return new PortRateLimitError(Math.max(1, Math.ceil(wait)), { cause: err, rate });
}

/** How far back to look for a card whose handle was lost in a crash. */
const RECENT_MESSAGES = 50;

/** Just what `findCard` reads from `GET /channels/{id}/messages`; components are walked as they come (V2 nests them). */
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
const MessageId = z.object({ id: z.string() });

/** The REST calls the port makes; `messageRest()` in production. */
export type PortRest = Pick<REST, 'get' | 'patch' | 'post' | 'delete'>;

export interface DiscordPortOptions {
  /** A REST client that throws on rate limits instead of queueing (see `messageRest`). */
  rest: PortRest;
  applicationId: string;
  /** The bot's user id once logged in (usually the application id). */
  botUserId?: () => string | undefined;
  log: Logger;
  now?: () => number;
}

/**
 * Every Discord message write after the acknowledgement. Card edits go through the interaction
 * webhook while its token lives, then through the bot's channel route, then (if even that is
 * refused) as a reply to the card.
 */
export class DiscordPort implements PlatformPort {
  readonly platform = 'discord' as const;
  readonly initialRate = DISCORD_INITIAL_RATE;
  /** Tokens Discord refused once, until they would have expired anyway (REFERENCE Discord 2). */
  private readonly deadTokens = new Map<string, number>();
  private readonly now: () => number;
  /** Results uploaded as attachments of the card (src/media). */
  readonly media: DiscordMediaSink;

  constructor(private readonly o: DiscordPortOptions) {
    this.now = o.now ?? Date.now;
    this.media = new DiscordMediaSink(
      {
        edit: (handle, view, scope, files) => this.edit(handle, view, scope, files),
        liveTokenOf: (h) => this.liveToken(h),
        write: async (call) => {
          const { rate } = await this.write(call);
          return { value: undefined, ...(rate ? { rate } : {}) };
        },
      },
      o.rest,
    );
  }

  /** Marks a token as unusable: using a refused token again counts towards a ban. */
  retireToken(token: string): void {
    const t = this.now();
    for (const [old, until] of this.deadTokens)
      if (until <= t || this.deadTokens.size >= MAX_DEAD_TOKENS) this.deadTokens.delete(old);
    this.deadTokens.set(token, t + DEAD_TOKEN_MEMORY_MS);
  }

  deadTokenCount(): number {
    return this.deadTokens.size;
  }

  liveToken(h: DiscordCardHandle): string | undefined {
    if (h.route !== 'webhook' || !h.token || this.deadTokens.has(h.token)) return undefined;
    if (h.tokenExpiresAt === undefined || this.now() >= h.tokenExpiresAt) return undefined;
    return h.token;
  }

  /** Shows `view` on the card; `files` (results, see src/media) become its attachments in the same edit. */
  async edit(
    handle: CardHandle,
    view: CardView,
    _scope?: TaskScope,
    files?: readonly RawFile[],
  ): Promise<Written<CardHandle | undefined>> {
    const h = DiscordCardHandle.parse(handle);
    const upload = files && files.length > 0 ? [...files] : undefined;
    // New files are named in `attachments` by their index, which is what attachment:// resolves against.
    const body = {
      ...cardBody(view, h.v2),
      ...(upload ? { attachments: upload.map((f, id) => ({ id, filename: f.name })) } : {}),
    };
    const withFiles = upload ? { files: upload } : {};
    const attachments = upload ? { attachments: upload.map((f, id) => ({ id, filename: f.name })) } : {};
    // A card made anew (the old one is gone or cannot be edited) is a V2 card, carrying the files too.
    const fresh = { ...cardBody(view, true), ...attachments };
    const token = this.liveToken(h);
    if (token) {
      try {
        const { value, rate } = await this.write(() =>
          this.o.rest.patch(Routes.webhookMessage(h.applicationId, token, h.target), {
            body,
            auth: false,
            ...withFiles,
          }),
        );
        // A type 4 answer does not say its message id; the first edit's answer does, for later channel edits.
        const learned = h.messageId ? undefined : MessageId.safeParse(value).data?.id;
        return { value: learned ? { ...h, messageId: learned } : undefined, ...(rate ? { rate } : {}) };
      } catch (err) {
        if (!TOKEN_DEAD.has(codeOf(err) ?? '')) throw err;
        this.retireToken(token);
        this.o.log.info(
          { messageId: h.messageId, code: codeOf(err) },
          'interaction token refused; editing through the channel',
        );
      }
    }
    const messageId = h.messageId ?? (await this.findCard(h.channelId, view.taskId))?.id;
    if (!messageId) {
      // Neither the token nor the channel knows the card any more: it is gone, and the task gets one new card.
      this.o.log.warn({ taskId: view.taskId }, 'card message not found; posting it again');
      const { value, rate } = await this.createMessage(h.channelId, fresh, upload);
      return {
        value: { ...this.base(h), messageId: value, v2: true } satisfies DiscordCardHandle,
        ...(rate ? { rate } : {}),
      };
    }
    const moved: DiscordCardHandle = {
      ...this.base(h),
      ...(h.v2 ? { v2: true } : {}),
      messageId,
      target: h.target,
      ...(h.replyTo ? { replyTo: h.replyTo } : {}),
    };
    try {
      const { rate } = await this.write(() =>
        this.o.rest.patch(Routes.channelMessage(h.channelId, messageId), { body, ...withFiles }),
      );
      return { value: h.route === 'channel' && h.messageId ? undefined : moved, ...(rate ? { rate } : {}) };
    } catch (err) {
      // A reply never gets a reply of its own: one stand-in per card, not a chain.
      if (!NO_ACCESS.has(codeOf(err) ?? '') || h.replyTo) throw err;
      this.o.log.warn({ messageId, code: codeOf(err) }, 'card cannot be edited; posting the update as a reply');
    }
    const { value, rate } = await this.createMessage(
      h.channelId,
      { ...fresh, message_reference: { message_id: messageId, fail_if_not_exists: false } },
      upload,
    );
    return {
      value: { ...this.base(h), messageId: value, replyTo: messageId, v2: true } satisfies DiscordCardHandle,
      ...(rate ? { rate } : {}),
    };
  }

  /**
   * Called for a task that has no stored card (the bot died between posting it and saving its
   * handle). The card usually exists: find it among the channel's recent messages by its buttons
   * and take it over; post a new one only if it is not there.
   */
  async post(scope: TaskScope, view: CardView): Promise<Written<CardHandle>> {
    const base = {
      applicationId: this.o.applicationId,
      guildId: scope.guildId,
      channelId: scope.channelId,
      route: 'channel',
      target: '@original',
    } as const;
    const orphan = await this.findCard(scope.channelId, view.taskId);
    if (orphan) {
      try {
        const { rate } = await this.write(() =>
          this.o.rest.patch(Routes.channelMessage(scope.channelId, orphan.id), { body: cardBody(view, orphan.v2) }),
        );
        return {
          value: { ...base, messageId: orphan.id, ...(orphan.v2 ? { v2: true } : {}) } satisfies DiscordCardHandle,
          ...(rate ? { rate } : {}),
        };
      } catch (err) {
        if (err instanceof PortRateLimitError) throw err;
        this.o.log.info(
          { messageId: orphan.id, code: codeOf(err) },
          'found the old card but cannot edit it; posting a new one',
        );
      }
    }
    const { value, rate } = await this.createMessage(scope.channelId, cardBody(view, true));
    return { value: { ...base, messageId: value, v2: true } satisfies DiscordCardHandle, ...(rate ? { rate } : {}) };
  }

  async delete(handle: CardHandle, _scope?: TaskScope): Promise<Written<void>> {
    const h = DiscordCardHandle.parse(handle);
    const token = this.liveToken(h);
    try {
      if (token) {
        try {
          const { rate } = await this.write(() =>
            this.o.rest.delete(Routes.webhookMessage(h.applicationId, token, h.target), { auth: false }),
          );
          return { value: undefined, ...(rate ? { rate } : {}) };
        } catch (err) {
          if (!TOKEN_DEAD.has(codeOf(err) ?? '')) throw err;
          this.retireToken(token);
        }
      }
      const messageId = h.messageId ?? (await this.findCard(h.channelId, ''))?.id;
      if (!messageId) return { value: undefined };
      const { rate } = await this.write(() => this.o.rest.delete(Routes.channelMessage(h.channelId, messageId)));
      // A reply stood in for a card the bot could not edit: the stale card goes too, if it can.
      if (h.replyTo) await this.o.rest.delete(Routes.channelMessage(h.channelId, h.replyTo)).catch(() => undefined);
      return { value: undefined, ...(rate ? { rate } : {}) };
    } catch (err) {
      // Already gone is what we wanted.
      if (err instanceof CardGoneError) return { value: undefined };
      throw err;
    }
  }

  async replyPrivate(target: ReplyTarget, view: PrivateView): Promise<Written<void>> {
    const t = DiscordReplyTarget.parse(target);
    const message = privateMessage(view);
    const body = restBody(message);
    const ephemeral = { ...body, flags: MessageFlags.Ephemeral };
    const followUp = () =>
      this.write(() => this.o.rest.post(Routes.webhook(t.applicationId, t.token), { body: ephemeral, auth: false }));
    switch (t.mode) {
      case 'fill':
      case 'original': {
        const { rate } = await this.write(() =>
          this.o.rest.patch(Routes.webhookMessage(t.applicationId, t.token, '@original'), { body, auth: false }),
        );
        return { value: undefined, ...(rate ? { rate } : {}) };
      }
      case 'unpublic':
        await this.write(() =>
          this.o.rest.delete(Routes.webhookMessage(t.applicationId, t.token, '@original'), { auth: false }),
        ).catch((err: unknown) => {
          if (err instanceof PortRateLimitError) throw err;
          this.o.log.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'could not remove the deferred reply',
          );
        });
        break;
      case 'followup':
        break;
    }
    const { rate } = await followUp();
    return { value: undefined, ...(rate ? { rate } : {}) };
  }

  private base(h: DiscordCardHandle) {
    return {
      applicationId: h.applicationId,
      guildId: h.guildId,
      channelId: h.channelId,
      route: 'channel',
      target: '@original',
    } as const;
  }

  /** One REST write, its 429 and gone answers turned into the port's errors. */
  private async write<T>(call: () => Promise<T>): Promise<{ value: T; rate?: RateInfo }> {
    try {
      return await withRate(call);
    } catch (err) {
      const limited = rateLimitOf(err);
      if (limited) throw limited;
      if (GONE.has(codeOf(err) ?? '')) throw new CardGoneError('the Discord card message is gone', { cause: err });
      throw err;
    }
  }

  private async createMessage(
    channelId: string,
    body: object,
    files?: RawFile[],
  ): Promise<{ value: string; rate?: RateInfo }> {
    const { value, rate } = await this.write(() =>
      this.o.rest.post(Routes.channelMessages(channelId), { body, ...(files ? { files } : {}) }),
    );
    return { value: MessageId.parse(value).id, ...(rate ? { rate } : {}) };
  }

  /** The card among the channel's recent messages, by its Refresh button (any of ours when `taskId` is empty). */
  private async findCard(channelId: string, taskId: string): Promise<{ id: string; v2: boolean } | undefined> {
    if (!taskId) return undefined;
    let answer: unknown;
    try {
      answer = (
        await this.write(() =>
          this.o.rest.get(Routes.channelMessages(channelId), {
            query: makeURLSearchParams({ limit: RECENT_MESSAGES }),
          }),
        )
      ).value;
    } catch (err) {
      // Slowed down: try again later rather than post a duplicate. Anything else: not found.
      if (err instanceof PortRateLimitError) throw err;
      return undefined;
    }
    const wanted = cardButtonId('refresh', taskId);
    const messages = RecentMessages.safeParse(answer);
    if (!messages.success) return undefined;
    const ours = (m: RecentMessage) =>
      m.application_id === this.o.applicationId ||
      m.author.id === this.o.applicationId ||
      m.author.id === this.o.botUserId?.();
    const found = messages.data.find((m) => ours(m) && customIdsIn(m.components).includes(wanted));
    return found && { id: found.id, v2: ((found.flags ?? 0) & MessageFlags.IsComponentsV2) !== 0 };
  }
}
