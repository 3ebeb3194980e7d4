import type { CardHandle, TaskScope } from '../src/domain.js';
import { CardGoneError, PortRateLimitError, type CardPort } from '../src/port.js';
import type { CardView } from '../src/render/view.js';

/**
 * A platform stand-in for the benchmark with Discord's practical per-channel edit limit
 * (5 per 5 s, sliding window): over it, the edit is refused with a 429 and counted.
 */
export class BenchPort implements CardPort {
  readonly platform = 'console' as const;
  /** A bucket that can never exceed 5 edits in any 5 s window: 3 + 5 s × 0.4/s. */
  readonly editBudget = { capacity: 3, refillPerSec: 0.4 };
  /** Edit requests sent (accepted or refused). */
  edits = 0;
  rateLimited = 0;
  /** taskId → when its card first showed a final state. */
  readonly finalShownAt = new Map<string, number>();
  private readonly windows = new Map<string, number[]>();
  private next = 1;

  constructor(private readonly limit = { requests: 5, windowMs: 5000 }) {}

  open(): CardHandle {
    return { card: this.next++ };
  }

  async editCard(_handle: CardHandle, view: CardView, scope: TaskScope): Promise<void> {
    const now = Date.now();
    // Every edit request counts, refused or not: each one costs the platform's budget.
    this.edits++;
    const window = (this.windows.get(scope.channelId) ?? []).filter((t) => t > now - this.limit.windowMs);
    if (window.length >= this.limit.requests) {
      this.rateLimited++;
      this.windows.set(scope.channelId, window);
      throw new PortRateLimitError((window[0] ?? now) + this.limit.windowMs - now);
    }
    window.push(now);
    this.windows.set(scope.channelId, window);
    if ((view.state === 'succeed' || view.state === 'failed') && !this.finalShownAt.has(view.taskId)) this.finalShownAt.set(view.taskId, now);
  }

  async postCard(): Promise<CardHandle> {
    return this.open();
  }

  async deleteCard(): Promise<void> {
    throw new CardGoneError();
  }
}
