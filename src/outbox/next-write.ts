import { waitedLonger } from '../media/transfer-slots.js';

/** 0: a final view; 1: a new state, a first post, a reply or a delete; 2: only progress moved. */
export type Priority = 0 | 1 | 2;

/**
 * What may keep a write waiting while finals need the channel: nothing ('never': finals, first posts,
 * private replies, deletes); finals that need the window's last writes ('finals'); also a busy
 * channel ('busy': edits of cards that are not final yet); also any final still waiting ('behind':
 * the requester's "ready" mention, for up to MENTION_WAIT_MS).
 */
export type Yields = 'never' | 'finals' | 'busy' | 'behind';

/** The longest a mention waits for a busy channel: one that stays busy still tells requesters. */
export const MENTION_WAIT_MS = 60_000;

/**
 * A mention waits behind every final of its channel (a write spent now is one a final may miss a
 * whole window for: the platform counts it for the next 5 s), at most MENTION_WAIT_MS; then only
 * for the finals that need the window's last writes.
 */
export const mentionYields = (waitedMs: number): Yields => (waitedMs < MENTION_WAIT_MS ? 'behind' : 'finals');

/** A write waiting in a channel's outbox, as the choice between them sees it. */
export interface Candidate<T> {
  priority: Priority;
  /** When it started waiting (the longest-waiting goes first among equals). */
  since: number;
  /**
   * A final: when its task finished at the provider (its clock). Finals go in finishing order, as the
   * ones a poll finds together were waiting since they finished, not since the poll.
   */
  finished?: number;
  yields: Yields;
  item: T;
}

/** The platform's window as the pacer knows it (RatePacer.window). */
export interface WindowState {
  /** The platform has described this budget (before that, `limit` is only our cautious guess). */
  reported: boolean;
  limit: number;
  remaining: number;
  resetInMs: number | undefined;
  sinceResetMs: number | undefined;
}

/** The channel's cards: those not yet shown final, and of them those whose final waits to be written. */
export interface ChannelLoad {
  liveCards: number;
  /** Final views not yet written, also those still fetching their copies for the platform. */
  finalsWaiting: number;
  /** Finals whose copies hold a transfer: being fetched, or fetched and not yet written. */
  transfers: number;
}

/** Which writes wait now (see `Yields`). */
export interface Holding {
  /** More cards in flight than one window holds: edits of unfinished cards wait. */
  busy: boolean;
  /** Finals wait and the window has no room beyond them: every write that yields waits. */
  reserved: boolean;
  /** Some final waits to be written (its copies perhaps still on their way): mentions wait. */
  finals: boolean;
}

export const NOT_HOLDING: Holding = { busy: false, reserved: false, finals: false };

/**
 * A busy channel: more cards in flight than one of the platform's windows holds. There a
 * non-final edit spent at any moment can be a final shown a whole window later, because Discord's
 * windows are fixed and open with their first write: an edit spent a second before the results
 * arrive moves every final behind it by the rest of that window. So there the budget is kept for
 * finals (with the uploads they carry), first posts and replies; unfinished cards are edited again
 * once the cards in flight fit in one window. (Not before the platform has described its budget: a
 * platform that reports none is not held back by our own guess.) Elsewhere, writes that yield wait only while the
 * finals waiting (some still fetching their copies) need every write the window has left. A
 * platform that reports no budget holds nothing back.
 */
export function holdingOf(window: WindowState, load: Omit<ChannelLoad, 'transfers'>): Holding {
  if (!Number.isFinite(window.limit)) return NOT_HOLDING;
  return {
    busy: window.reported && load.liveCards > window.limit,
    reserved: load.finalsWaiting > 0 && window.remaining <= load.finalsWaiting,
    finals: load.finalsWaiting > 0,
  };
}

/** About how long one copy takes to go out once its channel writes it (a channel writes one at a time). */
export const TRANSFER_MS = 50;

/**
 * How soon a channel could write one more final with its copy: when the platform lets it write after
 * the `ahead` copies already holding transfers (`waitMs`, RatePacer.waitMs(ahead)), and not before
 * they went out one after another. Transfers are few (MEDIA_CONCURRENCY for the whole bot) and held
 * until the card's write, so they go to the channels that can write soonest (media/transfer-slots.ts).
 */
export function transferReadyIn(waitMs: number, ahead: number): number {
  return Math.max(waitMs, ahead * TRANSFER_MS);
}

const waits = (c: Candidate<unknown>, h: Holding) =>
  c.yields !== 'never' && (h.reserved || (h.busy && c.yields !== 'finals') || (h.finals && c.yields === 'behind'));

/**
 * The next write: the most urgent first, then the longest-waiting; writes held by `holding` are
 * passed over. Undefined when nothing may go now.
 */
export function chooseNext<T>(candidates: Iterable<Candidate<T>>, holding: Holding): Candidate<T> | undefined {
  let best: Candidate<T> | undefined;
  for (const c of candidates) {
    if (waits(c, holding)) continue;
    if (!best || c.priority < best.priority || (c.priority === best.priority && waitedLonger(c, best))) best = c;
  }
  return best;
}
