import type { RateInfo } from '../port.js';

/**
 * One channel's write budget as the platform last described it. Serial writes make every answer
 * describe the state right after the write before it, so following it exactly leaves no room for a
 * 429 and adds no wait of our own: where the platform reports room, a write goes at once.
 *
 * Before the first answer the pacer assumes `initial` (a conservative start). Where the platform
 * never reports a budget, nothing is held back until a 429 says otherwise.
 */
export class RatePacer {
  private limit: number;
  private readonly windowMs: number;
  /** Writes left; Infinity once the platform reported no budget at all. */
  private remaining: number;
  /** When `remaining` is back to `limit`; undefined while unknown. */
  private resetAt: number | undefined;
  private pausedUntil = 0;
  /** The platform has described this channel's budget at least once. */
  private reported = false;

  constructor(
    initial: { limit: number; windowMs: number },
    private readonly now: () => number,
  ) {
    this.limit = initial.limit;
    this.windowMs = initial.windowMs;
    this.remaining = initial.limit;
  }

  /** How long until the next write may go (0: now). */
  waitMs(): number {
    const t = this.now();
    if (this.pausedUntil > t) return this.pausedUntil - t;
    if (this.resetAt !== undefined && t >= this.resetAt) {
      this.remaining = Math.max(this.remaining, this.limit);
      this.resetAt = undefined;
    }
    if (this.remaining > 0) return 0;
    return this.resetAt === undefined ? 0 : Math.max(1, this.resetAt - t);
  }

  /** A write is leaving: counted now, corrected by its answer. */
  spend(): void {
    if (!Number.isFinite(this.remaining)) return;
    this.resetAt ??= this.now() + this.windowMs;
    this.remaining = Math.max(0, this.remaining - 1);
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
    this.resetAt = this.now() + Math.max(0, rate.resetAfterMs ?? this.windowMs);
  }

  /** A 429 (or the adapter's own hold): nothing goes for exactly `ms`. */
  pause(ms: number, rate?: RateInfo): void {
    const until = this.now() + Math.max(0, ms);
    this.pausedUntil = Math.max(this.pausedUntil, until);
    if (rate?.limit !== undefined && rate.limit > 0) this.limit = rate.limit;
    if (!Number.isFinite(this.limit)) this.limit = 1;
    this.remaining = 0;
    this.resetAt = Math.max(this.resetAt ?? 0, until);
  }
}
