import type { CardHandle, Platform, TaskScope } from './domain.js';
import type { CardView } from './render/view.js';

/**
 * The seam between the tracker and a chat platform. Adapters implement it; the core knows
 * nothing else about Discord or Slack.
 */
export interface CardPort {
  readonly platform: Platform;
  /** Per-channel edit budget: a token bucket the channel tracker spends from. */
  readonly editBudget: { capacity: number; refillPerSec: number };
  /**
   * Shows `view` on the card. Returns a new handle when the adapter had to move (token expired,
   * message replaced by a reply); the tracker persists it.
   */
  editCard(handle: CardHandle, view: CardView, scope: TaskScope): Promise<CardHandle | void>;
  /** Posts a new card (a task that has none, e.g. its first post failed). */
  postCard(scope: TaskScope, view: CardView): Promise<CardHandle>;
  /** Removes the card message (Delete button). */
  deleteCard(handle: CardHandle, scope: TaskScope): Promise<void>;
}

/**
 * Not now: the channel pauses for `retryAfterMs`. `platform`: the platform answered 429;
 * `budget`: the adapter held the call back itself, to stay inside a limit the platform keeps
 * beyond the channel (e.g. Slack's per-workspace chat.update limit).
 */
export class PortRateLimitError extends Error {
  readonly source: 'platform' | 'budget';

  constructor(readonly retryAfterMs: number, options: { cause?: unknown; source?: 'platform' | 'budget' } = {}) {
    super(`${options.source === 'budget' ? 'edit budget' : 'platform rate limit'}: retry after ${retryAfterMs} ms`, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'PortRateLimitError';
    this.source = options.source ?? 'platform';
  }
}

/** The card message no longer exists (deleted by a user): stop editing it. */
export class CardGoneError extends Error {
  constructor(message = 'card message is gone', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CardGoneError';
  }
}
