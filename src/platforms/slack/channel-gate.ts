import { TokenBucket } from '../../tracker/limiter.js';

export interface ChannelPace {
  /** chat.postMessage: about one a second per channel (https://api.slack.com/methods/chat.postMessage). */
  postsPerSec: number;
  /** Every write of a channel (posts and updates) within a sliding window. */
  windowRequests: number;
  windowMs: number;
}

/**
 * Slack documents one chat.postMessage a second per channel and no per-channel limit for
 * chat.update (that one is per workspace: the workspace gate). Answers carry no budget, so the
 * port paces a channel itself: posts at their documented pace, and every write of the channel
 * within a window (a guess, the same as the fake Slack's: Slack answers a busy channel with 429
 * long before Tier 3 would). Updates are not held to the post pace, so finished cards in one
 * channel may go together.
 */
export const DEFAULT_CHANNEL_PACE: ChannelPace = { postsPerSec: 1, windowRequests: 20, windowMs: 10_000 };

/** A little room for clocks that tick differently here and at Slack. */
const SKEW_MS = 50;

export class ChannelGate {
  private readonly posts: TokenBucket;
  /** When each write of the last window was sent, then when it was answered (later is stricter). */
  private readonly writes: Array<{ at: number }> = [];
  /** Writes allowed in a window: the default pace, lowered when Slack refuses one (`refused`) until a quiet window. */
  private windowRequests: number;
  private blockedUntil = 0;

  constructor(
    private readonly pace: ChannelPace,
    private readonly now: () => number,
  ) {
    this.posts = new TokenBucket(1, pace.postsPerSec, now);
    this.windowRequests = pace.windowRequests;
  }

  /**
   * Slack answered a write of this channel with 429: nothing more until Retry-After, and from now
   * on no more writes in a window than Slack had accepted (posts already keep their own pace): its
   * per-channel limit is not published, so the channel corrects the guess, not the next 429.
   * True when this refusal is taken as the channel's (its first since the channel was quiet).
   */
  refused(retryAfterMs: number): boolean {
    const t = this.now();
    this.prune(t);
    this.blockedUntil = Math.max(this.blockedUntil, t + retryAfterMs);
    if (this.windowRequests < this.pace.windowRequests) return false;
    this.windowRequests = Math.max(1, Math.min(this.windowRequests, this.writes.length - 1));
    return true;
  }

  /** How long until a write of this kind may go (0: now). Takes nothing. */
  waitMs(kind: 'post' | 'update'): number {
    const t = this.now();
    this.prune(t);
    let wait = Math.max(0, this.blockedUntil - t);
    if (this.writes.length >= this.windowRequests) {
      const oldest = this.writes[this.writes.length - this.windowRequests]?.at ?? t;
      wait = Math.max(wait, 1, oldest + this.pace.windowMs + SKEW_MS - t);
    }
    if (kind === 'post') wait = Math.max(wait, this.posts.waitMs());
    return wait;
  }

  /** A write is leaving (after waitMs said 0); call the returned function when Slack answered. */
  sent(kind: 'post' | 'update'): () => void {
    if (kind === 'post') this.posts.tryTake();
    const write = { at: this.now() };
    this.writes.push(write);
    return () => {
      write.at = Math.max(write.at, this.now());
    };
  }

  /** Nothing of the last window is left: the gate can be dropped. */
  idle(): boolean {
    this.prune(this.now());
    return this.writes.length === 0 && this.posts.waitMs() === 0 && this.blockedUntil <= this.now();
  }

  private prune(t: number): void {
    while (this.writes.length > 0 && (this.writes[0]?.at ?? t) + this.pace.windowMs + SKEW_MS <= t) this.writes.shift();
    // A channel quiet for a whole window starts again from the default pace.
    if (this.writes.length === 0 && this.blockedUntil <= t) this.windowRequests = this.pace.windowRequests;
  }
}
