/** 0: a final view; 1: a new state, a first post, a reply or a delete; 2: only progress moved. */
export type Priority = 0 | 1 | 2;

/** A write waiting in a channel's outbox, as the choice between them sees it. */
export interface Candidate<T> {
  priority: Priority;
  /** When it started waiting (the longest-waiting goes first among equals). */
  since: number;
  /** An edit of a card that is not final yet: it may wait while finals have the channel (see `progressHoldMs`). */
  holdable: boolean;
  item: T;
}

/** The platform's window as the pacer knows it (RatePacer.window). */
export interface WindowState {
  limit: number;
  remaining: number;
  resetInMs: number | undefined;
  sinceResetMs: number | undefined;
}

/**
 * How long after a window's budget came back non-final edits leave it to finals in a contended
 * channel: results that exist by then are usually still a poll or two away from the bot, and
 * arrive in more than one batch.
 */
export const FINALS_FIRST_MS = 1000;

/**
 * How long non-final card edits wait (0: not at all). Only in a contended channel: more cards
 * still waiting for their final than one window of the platform's holds. There, a progress or
 * state edit spent just after the budget came back is a final shown a whole window later
 * (Discord's windows are fixed, and we never put more than its limit in any window's span), so
 * the first FINALS_FIRST_MS after each reset belong to finals, whether or not one of them has
 * opened the new window yet. Finals, first posts and replies never wait for this; nor does the
 * first window of a channel that was quiet.
 */
export function progressHoldMs(window: WindowState, liveCards: number, finalsFirstMs = FINALS_FIRST_MS): number {
  if (!Number.isFinite(window.limit) || liveCards <= window.limit || window.sinceResetMs === undefined) return 0;
  return Math.max(0, finalsFirstMs - window.sinceResetMs);
}

/**
 * The next write: the most urgent first, then the longest-waiting; held edits are passed over.
 * Undefined when nothing may go now.
 */
export function chooseNext<T>(candidates: Iterable<Candidate<T>>, holding: boolean): Candidate<T> | undefined {
  let best: Candidate<T> | undefined;
  for (const c of candidates) {
    if (holding && c.holdable) continue;
    if (!best || c.priority < best.priority || (c.priority === best.priority && c.since < best.since)) best = c;
  }
  return best;
}
