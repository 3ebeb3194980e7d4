import { makeURLSearchParams, MessageFlags, Routes } from 'discord.js';
import type { CardHandle, TaskScope } from '../../domain.js';
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
import { cardAmong, MessageId, RECENT_MESSAGES } from './find-card.js';
import {
  cardBody,
  DISCORD_INITIAL_RATE,
  DiscordCardHandle,
  DiscordReplyTarget,
  parseCardHandle,
  restBody,
} from './handles.js';
import { privateMessage } from './render.js';
import { withUploads, type UploadFile } from './multipart.js';
import { codeOf, NO_ACCESS, portWrite, TOKEN_DEAD } from './rest-errors.js';
import { DiscordMediaSink } from './upload.js';
import { InteractionTokens } from './tokens.js';

import type { PortRest } from './handles.js';
export type { PortRest };

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
  private readonly tokens: InteractionTokens;
  private readonly now: () => number;
  /** Results uploaded as attachments of the card (src/media). */
  readonly media: DiscordMediaSink;

  constructor(private readonly o: DiscordPortOptions) {
    this.now = o.now ?? Date.now;
    this.tokens = new InteractionTokens(this.now);
    this.media = new DiscordMediaSink(
      {
        edit: (handle, view, scope, files) => this.edit(handle, view, scope, files),
        liveTokenOf: (h) => this.liveToken(h),
        write: async (call) => {
          const { rate } = await portWrite(call);
          return { value: undefined, ...(rate ? { rate } : {}) };
        },
      },
      o.rest,
      o.log,
    );
  }

  /** Marks a token as unusable: using a refused token again counts towards a ban. */
  retireToken = (token: string): void => this.tokens.retire(token);
  deadTokenCount = (): number => this.tokens.deadCount();
  liveToken = (h: DiscordCardHandle): string | undefined => this.tokens.live(h);

  /**
   * Shows `view` on the card; `files` (results, see src/media) become its attachments in the same
   * edit. Each route tried opens the files anew (a body already sent cannot be sent again).
   */
  async edit(
    handle: CardHandle,
    view: CardView,
    _scope?: TaskScope,
    files?: readonly UploadFile[],
  ): Promise<Written<CardHandle | undefined>> {
    const h = parseCardHandle(handle);
    const upload = files && files.length > 0 ? [...files] : undefined;
    // New files are named in `attachments` by their index, which is what attachment:// resolves against.
    const attachments = upload ? { attachments: upload.map((f, id) => ({ id: String(id), filename: f.name })) } : {};
    const body = { ...cardBody(view, h.v2), ...attachments };
    // A card made anew (the old one is gone or cannot be edited) is a V2 card, carrying the files too.
    const fresh = { ...cardBody(view, true), ...attachments };
    const token = this.liveToken(h);
    if (token) {
      try {
        const { value, rate } = await portWrite(() =>
          this.o.rest.patch(Routes.webhookMessage(h.applicationId, token, h.target), {
            ...withUploads(body, upload),
            auth: false,
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
      const { rate } = await portWrite(() =>
        this.o.rest.patch(Routes.channelMessage(h.channelId, messageId), withUploads(body, upload)),
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
        const { rate } = await portWrite(() =>
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
    const h = parseCardHandle(handle);
    const token = this.liveToken(h);
    try {
      if (token) {
        try {
          const { rate } = await portWrite(() =>
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
      const { rate } = await portWrite(() => this.o.rest.delete(Routes.channelMessage(h.channelId, messageId)));
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
      portWrite(() => this.o.rest.post(Routes.webhook(t.applicationId, t.token), { body: ephemeral, auth: false }));
    switch (t.mode) {
      case 'fill':
      case 'original': {
        const { rate } = await portWrite(() =>
          this.o.rest.patch(Routes.webhookMessage(t.applicationId, t.token, '@original'), { body, auth: false }),
        );
        return { value: undefined, ...(rate ? { rate } : {}) };
      }
      case 'unpublic':
        await portWrite(() =>
          this.o.rest.delete(Routes.webhookMessage(t.applicationId, t.token, '@original'), { auth: false }),
        ).catch((err: unknown) => {
          if (err instanceof PortRateLimitError) throw err;
          this.o.log.warn({ err }, 'could not remove the deferred reply');
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

  private async createMessage(
    channelId: string,
    body: object,
    files?: readonly UploadFile[],
  ): Promise<{ value: string; rate?: RateInfo }> {
    const { value, rate } = await portWrite(() =>
      this.o.rest.post(Routes.channelMessages(channelId), withUploads(body, files)),
    );
    return { value: MessageId.parse(value).id, ...(rate ? { rate } : {}) };
  }

  /** The card among the channel's recent messages, by its Refresh button (any of ours when `taskId` is empty). */
  private async findCard(channelId: string, taskId: string): Promise<{ id: string; v2: boolean } | undefined> {
    if (!taskId) return undefined;
    let answer: unknown;
    try {
      answer = (
        await portWrite(() =>
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
    const ours = (m: { application_id?: string | undefined; author: { id: string } }) =>
      m.application_id === this.o.applicationId ||
      m.author.id === this.o.applicationId ||
      m.author.id === this.o.botUserId?.();
    return cardAmong(answer, taskId, ours);
  }
}
