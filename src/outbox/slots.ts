import { isFinal, type CardHandle, type MediaCopy, type TaskScope, type TaskState } from '../domain.js';
import type { MediaStage } from '../media/stage.js';
import type { AskRound } from '../media/transfer-slots.js';
import type { CardMediaState } from './card-media.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { PortRateLimitError, type PlatformPort, type Written } from '../port.js';
import type { CardView } from '../render/view.js';
import { mentionYields, transferReadyIn, type Candidate, type ChannelLoad, type Priority } from './next-write.js';
import type { RatePacer } from './pacer.js';
import type { Timers } from './wake-timer.js';

/** What a channel outbox holds (a slot per card, one-off jobs) and what it is given. */

export interface CardSlot {
  scope: TaskScope;
  handle?: CardHandle;
  /** The card has no message yet: the next write posts it. */
  posting?: { resolve: (handle: CardHandle | undefined) => void };
  /** What the card shows now (hash), and its state. */
  shownSig?: string;
  shownState?: TaskState;
  /** Latest wanted view; replaced by newer ones (latest state wins). */
  wanted?: { view: CardView; sig: string; since: number };
  failures: number;
  /** The results' platform copies (see card-media.ts). */
  media?: CardMediaState;
  /** Its progress edits wait for the platform's budget until then (PortRateLimitError `holds: card`). */
  heldUntil?: number;
}

export interface Job {
  priority: Priority;
  /** The requester's "ready" mention: it yields to finals and, for a while, to a busy channel (next-write.ts). */
  mention?: boolean;
  since: number;
  scope: TaskScope;
  write: (port: PlatformPort) => Promise<Written<unknown>>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface ChannelOutboxDeps {
  port: PlatformPort;
  log: Logger;
  metrics: Metrics;
  now: () => number;
  /** What the outbox's wake timer waits on (default the real timers; a test's clock that it moves on). */
  timers?: Timers;
  /** A first card was posted: persisted before any edit of it goes out. */
  onPosted: (taskId: string, handle: CardHandle, sig: string) => Promise<void>;
  /** Persists a moved handle and the signature shown. */
  onShown: (taskId: string, update: { handle?: CardHandle; sig: string; final: boolean; media?: MediaCopy[] }) => void;
  /** The card message is gone: nothing more will ever be shown on it. */
  onGone: (taskId: string) => void;
  /** Fetches finished results for the platform (absent: cards keep Kling's links). */
  media?: MediaStage;
  /**
   * Claims the mention of a task's requester, right before it is written (absent: always true): of
   * two replicas writing the same final (one stalled past its lease), one mentions (store/mention-claims.ts).
   * The claimer is answered true again on its own later tries.
   */
  mayMention?: (taskId: string) => Promise<boolean>;
}

/** A 429 (or the adapter's own budget hold) pauses the whole channel; true when `err` was one. */
export function pauseOnRateLimit(
  err: unknown,
  pacer: RatePacer,
  { port, metrics, log }: ChannelOutboxDeps,
  channel: string,
): boolean {
  if (!(err instanceof PortRateLimitError)) return false;
  pacer.pause(err.retryAfterMs, err.rate);
  if (err.source === 'budget') {
    log.debug({ channel, retryAfterMs: err.retryAfterMs }, 'channel writes wait for the platform budget');
  } else {
    metrics.rateLimited.inc({ platform: port.platform });
    log.warn({ channel, retryAfterMs: err.retryAfterMs }, 'channel writes paused by platform rate limit');
  }
  return true;
}

/** A card (by task id) or a one-off job: what the outbox writes next. */
export type Waiting = { card: [string, CardSlot] } | { job: Job };

function cardPriority(slot: CardSlot): Priority {
  const state = slot.wanted?.view.state;
  if (state && isFinal(state)) return 0;
  return slot.posting || state !== slot.shownState ? 1 : 2;
}

/** What waits in one outbox, as candidates for the next write (see next-write.ts). */
export function* candidates(
  cards: Map<string, CardSlot>,
  jobs: readonly Job[],
  holds: (taskId: string, slot: CardSlot) => boolean,
  now: number,
): Generator<Candidate<Waiting>> {
  for (const entry of cards) {
    const slot = entry[1];
    if (!slot.wanted || (!slot.handle && !slot.posting)) continue;
    // A finished card waits (showing what it shows) while its results are fetched for the platform.
    if (holds(entry[0], slot)) continue;
    const priority = cardPriority(slot);
    // Its progress waits for the platform's budget (PortRateLimitError `holds: card`); the rest go on.
    if (priority !== 0 && slot.heldUntil !== undefined && slot.heldUntil > now) continue;
    const yields = priority === 0 || slot.posting ? 'never' : 'busy';
    const finished = priority === 0 ? slot.wanted.view.doneAt : undefined;
    yield {
      priority,
      since: slot.wanted.since,
      ...(finished !== undefined ? { finished } : {}),
      yields,
      item: { card: entry },
    };
  }
  for (const job of jobs) {
    const yields = job.mention ? mentionYields(now - job.since) : 'never';
    yield { priority: job.priority, since: job.since, yields, item: { job } };
  }
}

/**
 * The channel's cards in flight, the finals among them still to be written (also those fetching copies), and the
 * transfers they hold.
 */
export function loadOf(cards: Map<string, CardSlot>): ChannelLoad {
  let finalsWaiting = 0;
  let transfers = 0;
  for (const slot of cards.values()) {
    const state = slot.wanted?.view.state;
    if (state && isFinal(state) && (slot.handle || slot.posting)) finalsWaiting++;
    if ((slot.media?.step === 'preparing' && slot.media.transferring) || slot.media?.step === 'ready') transfers++;
  }
  return { liveCards: cards.size, finalsWaiting, transfers };
}

/**
 * How soon this channel could write one more final with its copy, and whether that write opens its window (see
 * media/transfer-slots.ts): the copies holding transfers go first, but for the one being written now (`writing`),
 * which the pacer counts already.
 */
export function transferAsk(
  pacer: RatePacer,
  cards: Map<string, CardSlot>,
  writing: CardSlot | undefined,
): { readyInMs: number; opens: boolean } {
  const ahead = loadOf(cards).transfers - (writing?.media?.step === 'ready' ? 1 : 0);
  const opens = ahead === 0 && pacer.window().resetInMs === undefined;
  return { readyInMs: transferReadyIn(pacer.waitMs(ahead), ahead), opens };
}

/**
 * `reckon`, asked again only in a new round of the transfer choice (media/transfer-slots.ts): within one round
 * nothing changes, and a channel's waiting cards all answer alike. Without a round, reckoned every time.
 */
export function oncePerRound<T>(reckon: () => T): (round?: AskRound) => T {
  let last: { round: AskRound; value: T } | undefined;
  return (round) => {
    if (round && last?.round === round) return last.value;
    const value = reckon();
    last = round ? { round, value } : undefined;
    return value;
  };
}
