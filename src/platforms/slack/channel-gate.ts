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

  constructor(
    private readonly pace: ChannelPace,
    private readonly now: () => number,
  ) {
    this.posts = new TokenBucket(1, pace.postsPerSec, now);
  }

  /** How long until a write of this kind may go (0: now). Takes nothing. */
  waitMs(kind: 'post' | 'update'): number {
    const t = this.now();
    this.prune(t);
    let wait = 0;
    if (this.writes.length >= this.pace.windowRequests) {
      const oldest = this.writes[this.writes.length - this.pace.windowRequests]?.at ?? t;
      wait = Math.max(1, oldest + this.pace.windowMs + SKEW_MS - t);
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
    return this.writes.length === 0 && this.posts.waitMs() === 0;
  }

  private prune(t: number): void {
    while (this.writes.length > 0 && (this.writes[0]?.at ?? t) + this.pace.windowMs + SKEW_MS <= t) this.writes.shift();
  }
}
