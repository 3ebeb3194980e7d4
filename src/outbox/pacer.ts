import type { RateInfo } from '../port.js';
import type { WindowState } from './next-write.js';

/** A little room for clocks that tick differently here and at the platform. */
const SKEW_MS = 20;

/**
 * One channel's write budget as the platform last described it. Writes are serial, so every answer
 * describes the budget right after the write before it, and following it exactly leaves no room for
 * a 429: where the platform reports room, a write goes at once.
 *
 * Two rules, both from the platform's own numbers: no write while it reports nothing left (until
 * its reset), and never more than its `limit` writes within one of its windows, however the
 * windows fall (a burst at the end of one window and another at the start of the next would be
 * twice the limit in one window's time).
 *
 * Before the first answer the pacer assumes `initial` (a conservative start). Where the platform
 * never reports a budget, nothing is held back until a 429 says otherwise.
 */
export class RatePacer {
  private limit: number;
  private windowMs: number;
  /** Writes left; Infinity while the platform has reported no budget at all. */
  private remaining: number;
  /** When `remaining` is back to `limit`; undefined while unknown. */
  private resetAt: number | undefined;
  /** When the last window the platform described ended (for `window`). */
  private lastResetAt: number | undefined;
  private pausedUntil = 0;
  /** The platform has described this channel's budget at least once. */
  private reported = false;
  /**
   * When the latest writes were answered (at most `limit` kept). The answer comes after the
   * platform counted the write, so a window measured from it can only be longer than the platform's.
   */
  private readonly answered: number[] = [];
  /** A write has left and not yet come back. */
  private inFlight = false;

  constructor(
    initial: { limit: number; windowMs: number },
    private readonly now: () => number,
  ) {
    this.limit = initial.limit;
    this.windowMs = initial.windowMs;
    this.remaining = initial.limit;
  }

  /**
   * How long until the next write may go (0: now); with `ahead`, the write after `ahead` more that go
   * first, one after another from now (Infinity: not within the next window).
   */
  waitMs(ahead = 0): number {
    const t = this.now();
    this.rollOver(t);
    const paused = Math.max(0, this.pausedUntil - t);
    let budget = 0;
    if (this.remaining <= ahead) {
      const beyond = ahead - this.remaining;
      if (beyond >= this.limit) budget = Infinity;
      else if (this.resetAt !== undefined) budget = Math.max(1, this.resetAt - t);
      else if (ahead > 0) budget = this.windowMs;
    }
    return Math.max(paused, budget, this.windowWait(t, ahead));
  }

  /**
   * The window as the platform last described it (`reported`: it has): its size and the writes left (both Infinity
   * where the platform reports no budget), ms until it resets (undefined when none is open) and
   * ms since the last one ended (undefined when none has).
   */
  window(): WindowState {
    const t = this.now();
    this.rollOver(t);
    const paused = this.pausedUntil > t;
    return {
      reported: this.reported,
      limit: Number.isFinite(this.remaining) ? this.limit : Infinity,
      remaining: paused ? 0 : this.remaining,
      resetInMs: paused ? this.pausedUntil - t : this.resetAt === undefined ? undefined : this.resetAt - t,
      sinceResetMs: this.lastResetAt === undefined ? undefined : t - this.lastResetAt,
    };
  }

  private rollOver(t: number): void {
    if (this.resetAt === undefined || t < this.resetAt) return;
    this.remaining = Math.max(this.remaining, this.limit);
    this.lastResetAt = this.resetAt;
    this.resetAt = undefined;
  }

  /**
   * The write `limit` writes ago must be a whole window old before another goes; a write on its way
   * and the `ahead` ones going first count as answered now.
   */
  private windowWait(t: number, ahead: number): number {
    if (!this.reported || !Number.isFinite(this.limit)) return 0;
    const sent = this.answered.length + (this.inFlight ? 1 : 0) + ahead;
    if (sent < this.limit) return 0;
    const oldest = this.answered[sent - this.limit] ?? t;
    return Math.max(0, oldest + this.windowMs + SKEW_MS - t);
  }

  /** A write is leaving: counted now, corrected by its answer. */
  spend(): void {
    const t = this.now();
    this.inFlight = true;
    if (!Number.isFinite(this.remaining)) return;
    this.resetAt ??= t + this.windowMs;
    this.remaining = Math.max(0, this.remaining - 1);
  }

  /** A write came back (whatever the answer): it counts in the platform's window from here. */
  settled(): void {
    this.inFlight = false;
    this.answered.push(this.now());
    const keep = Number.isFinite(this.limit) ? Math.max(1, this.limit) : 1;
    if (this.answered.length > keep) this.answered.splice(0, this.answered.length - keep);
  }

  /**
   * The platform's word on an answer replaces our estimate. An answer that says nothing lifts the
   * limit only where the platform has never described one; else the count goes on from `spend`.
   */
  learn(rate: RateInfo | undefined): void {
    if (rate?.remaining === undefined) {
      if (this.reported) return;
      this.remaining = Infinity;
      this.resetAt = undefined;
      return;
    }
    this.reported = true;
    this.remaining = rate.remaining;
    if (rate.limit !== undefined && rate.limit > 0) this.limit = rate.limit;
    else if (!Number.isFinite(this.limit)) this.limit = Math.max(1, rate.remaining + 1);
    const resetAfter = Math.max(0, rate.resetAfterMs ?? this.windowMs);
    // The first write of a window is answered with (nearly) the whole window still to run.
    if (rate.remaining === this.limit - 1 && resetAfter > 0) this.windowMs = resetAfter;
    this.resetAt = this.now() + resetAfter;
  }

  /**
   * A 429 (or the adapter's own hold): nothing goes for exactly `ms`. Without the platform's word on
   * this budget (`rate`: a hold for another limit, or a back-off after a failure) the window stays as
   * it was: a pause neither spends nor refills it.
   */
  pause(ms: number, rate?: RateInfo): void {
    const until = this.now() + Math.max(0, ms);
    this.pausedUntil = Math.max(this.pausedUntil, until);
    // A platform that reports no budget keeps none we could follow, and a pause without its word
    // says nothing of this one: the pause is all there is.
    if (rate?.remaining === undefined) return;
    this.reported = true;
    if (rate.limit !== undefined && rate.limit > 0) this.limit = rate.limit;
    if (!Number.isFinite(this.limit)) this.limit = 1;
    this.remaining = 0;
    // The platform's word replaces our own estimate of the window.
    this.resetAt = this.pausedUntil;
  }
}
