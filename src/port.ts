import type { CardHandle, Platform, TaskScope } from './domain.js';
import type { CardView, PrivateView } from './render/view.js';
import type { MediaSink } from './media/stage.js';
import type { RateInfo, Written } from './written.js';

export type { RateInfo, Written } from './written.js';

/**
 * Where a private answer goes once the interaction has been acknowledged: opaque to the core,
 * parsed by the adapter that made it (Discord: application id + token + how the ack was made;
 * Slack: response_url, channel, user). Never stored.
 */
export type ReplyTarget = Record<string, unknown>;

/**
 * The one door to a chat platform. Every message write (post, edit, delete, private reply) goes
 * through it, and only the channel's outbox calls it, so one budget sees them all. Each method
 * returns the platform's rate information or throws PortRateLimitError / CardGoneError.
 */
export interface PlatformPort {
  readonly platform: Platform;
  /** What to assume about a channel before its first answer (a conservative start). */
  readonly initialRate: { limit: number; windowMs: number };
  /**
   * Posts a card that has no message yet (Slack's first card; a card lost in a crash, which the
   * adapter may first look for among the channel's recent messages).
   */
  post(scope: TaskScope, view: CardView): Promise<Written<CardHandle>>;
  /** Shows `view` on the card; `value` is a new handle when the card had to move. */
  edit(handle: CardHandle, view: CardView, scope: TaskScope): Promise<Written<CardHandle | undefined>>;
  /** Uploads of results onto or under a card (src/media); absent where the bot cannot upload. */
  readonly media?: MediaSink;
  /** Removes the card message (Delete button). */
  delete(handle: CardHandle, scope: TaskScope): Promise<Written<void>>;
  /** A private answer after the acknowledgement; `replace`: instead of the message a button was on. */
  replyPrivate(target: ReplyTarget, view: PrivateView, scope: TaskScope, replace?: boolean): Promise<Written<void>>;
}

/**
 * Not now: the channel pauses for `retryAfterMs`. `platform`: the platform answered 429 (or its
 * client knew the bucket was empty); `budget`: the adapter held the call back itself, to stay
 * inside a limit the platform keeps beyond the channel (Slack's per-workspace chat.update tier).
 */
export class PortRateLimitError extends Error {
  readonly source: 'platform' | 'budget';
  readonly rate: RateInfo | undefined;
  /**
   * `card`: only this card's progress edit waits (a budget saving its last tokens for finals);
   * the channel's other writes, a new card's post among them, go on meanwhile.
   */
  readonly holds: 'channel' | 'card';

  constructor(
    readonly retryAfterMs: number,
    options: { cause?: unknown; source?: 'platform' | 'budget'; rate?: RateInfo; holds?: 'channel' | 'card' } = {},
  ) {
    super(
      `${options.source === 'budget' ? 'edit budget' : 'platform rate limit'}: retry after ${retryAfterMs} ms`,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.name = 'PortRateLimitError';
    this.source = options.source ?? 'platform';
    this.rate = options.rate;
    this.holds = options.holds ?? 'channel';
  }
}

/** The card message no longer exists (deleted by a user): stop editing it. */
export class CardGoneError extends Error {
  constructor(message = 'card message is gone', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CardGoneError';
  }
}

/**
 * A stored card handle this platform cannot read: there is no message to touch, and no retry can
 * change that, so the outbox stops at once (as for a card that is gone) instead of retrying.
 */
export class CardHandleError extends CardGoneError {
  readonly code = 'bad_card_handle';
  constructor(platform: string, options?: { cause?: unknown }) {
    super(`not a ${platform} card handle`, options);
    this.name = 'CardHandleError';
  }
}

/** A card can never be posted here (Slack: not_in_channel); the task goes on without one. */
export class CardPostError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`could not post the card: ${reason}`, options);
    this.name = 'CardPostError';
  }
}
