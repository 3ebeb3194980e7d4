import { TokenBucket } from '../../tracker/limiter.js';

export interface Budget {
  capacity: number;
  refillPerSec: number;
}

/**
 * Slack counts chat.update per workspace (Tier 3, about 50 a minute: REFERENCE Slack 3), while
 * the tracker budgets edits per channel. Every channel of a workspace draws from this gate too,
 * so a workspace with many busy channels waits its turn instead of collecting 429s.
 * 6 + 0.7/s can never spend more than 48 edits in any minute.
 */
export const DEFAULT_WORKSPACE_BUDGET: Budget = { capacity: 6, refillPerSec: 0.7 };
/** Progress edits leave this many tokens for cards that have finished, so a result is never stuck behind progress. */
const FINAL_RESERVE = 2;

export class WorkspaceGate {
  private readonly bucket: TokenBucket;
  private readonly reserve: number;
  private blockedUntil = 0;

  constructor(
    budget: Budget,
    private readonly now: () => number,
  ) {
    this.bucket = new TokenBucket(budget.capacity, budget.refillPerSec, now);
    this.reserve = Math.max(0, Math.min(FINAL_RESERVE, budget.capacity - 1));
  }

  /** Takes a token and returns 0, or returns how many ms to wait before asking again. */
  take(final: boolean): number {
    const blocked = this.blockedUntil - this.now();
    if (blocked > 0) return blocked;
    const reserve = final ? 0 : this.reserve;
    if (this.bucket.tryTake(reserve)) return 0;
    return Math.max(1, this.bucket.waitMs(reserve));
  }

  /** Slack answered 429: its Retry-After holds for the whole workspace. */
  block(ms: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + ms);
    this.bucket.drain();
  }
}
