import { TokenBucket } from '../../tracker/limiter.js';

export interface Budget {
  capacity: number;
  refillPerSec: number;
  /** Tokens progress edits leave for cards that have finished (default: 2, at most capacity - 1). */
  finalReserve?: number;
}

/**
 * Slack counts chat.update per workspace (Tier 3, about 50 a minute: https://api.slack.com/methods/chat.update), while
 * the tracker budgets edits per channel. Every channel of a workspace draws from this gate too,
 * so a workspace with many busy channels waits its turn instead of collecting 429s.
 * 20 + 0.46/s can never spend more than 48 edits in any minute. Progress edits only spend above
 * 18 tokens (so they go at the refill pace, about 28 a minute), which leaves a burst of 18 for
 * cards that finish together: a small capacity (6 + 0.7/s) held 20 results in one channel to the
 * refill pace, about 20 s for the last one, where Tier 3 allows them at once.
 */
export const DEFAULT_WORKSPACE_BUDGET: Budget = { capacity: 20, refillPerSec: 0.46, finalReserve: 18 };
/** Progress edits leave this many tokens for cards that have finished, so a result is never stuck behind progress. */
const FINAL_RESERVE = 2;

export class WorkspaceGate {
  private readonly bucket: TokenBucket;
  private readonly reserve: number;
  private blockedUntil = 0;

  private readonly capacity: number;

  constructor(
    budget: Budget,
    private readonly now: () => number,
  ) {
    this.capacity = budget.capacity;
    this.bucket = new TokenBucket(budget.capacity, budget.refillPerSec, now);
    this.reserve = Math.max(0, Math.min(budget.finalReserve ?? FINAL_RESERVE, budget.capacity - 1));
  }

  /** Takes a token and returns 0, or returns how many ms to wait before asking again. */
  take(final: boolean): number {
    const blocked = this.blockedUntil - this.now();
    if (blocked > 0) return blocked;
    const reserve = final ? 0 : this.reserve;
    if (this.bucket.tryTake(reserve)) return 0;
    return Math.max(1, this.bucket.waitMs(reserve));
  }

  /**
   * Slack answered 429: its Retry-After holds for the whole workspace. Slack does not say which
   * limit it was: when the channel took it as its own (`channelsOwn`, ChannelGate.refused) and the
   * workspace has spent less than half its budget, the budget stays; otherwise the workspace's
   * edits go at the refill pace from then on.
   */
  block(ms: number, channelsOwn = false): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + ms);
    if (!channelsOwn || this.bucket.available() < this.capacity / 2) this.bucket.drain();
  }
}
