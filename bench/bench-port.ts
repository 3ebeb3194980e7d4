import type { CardHandle, TaskScope } from '../src/domain.js';
import { CardGoneError, PortRateLimitError, type PlatformPort, type RateInfo, type Written } from '../src/port.js';
import type { CardView } from '../src/render/view.js';

/**
 * A platform stand-in for the benchmark with Discord's practical per-channel write limit (5 per
 * 5 s, a fixed window per channel as Discord keeps its buckets), reporting what is left on every
 * answer as Discord's X-RateLimit-* headers do: over it, the write is refused with a 429 and counted.
 */
export class BenchPort implements PlatformPort {
  readonly platform = 'console' as const;
  readonly initialRate = { limit: 5, windowMs: 5000 };
  /** Write requests sent (accepted or refused). */
  edits = 0;
  rateLimited = 0;
  /** taskId → when its card first showed a final state. */
  readonly finalShownAt = new Map<string, number>();
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private next = 1;

  constructor(private readonly limit = { requests: 5, windowMs: 5000 }) {}

  /** Every write request counts, refused or not: each one costs the platform's budget. */
  private take(channel: string): RateInfo {
    const now = Date.now();
    this.edits++;
    let w = this.windows.get(channel);
    if (!w || now >= w.resetAt) {
      w = { count: 0, resetAt: now + this.limit.windowMs };
      this.windows.set(channel, w);
    }
    if (w.count >= this.limit.requests) {
      this.rateLimited++;
      throw new PortRateLimitError(w.resetAt - now, {
        rate: { remaining: 0, resetAfterMs: w.resetAt - now, limit: this.limit.requests },
      });
    }
    w.count++;
    return { remaining: this.limit.requests - w.count, resetAfterMs: w.resetAt - now, limit: this.limit.requests };
  }

  async post(scope: TaskScope): Promise<Written<CardHandle>> {
    return { value: { card: this.next++ }, rate: this.take(scope.channelId) };
  }

  async edit(_handle: CardHandle, view: CardView, scope: TaskScope): Promise<Written<undefined>> {
    const rate = this.take(scope.channelId);
    if ((view.state === 'succeed' || view.state === 'failed') && !this.finalShownAt.has(view.taskId))
      this.finalShownAt.set(view.taskId, Date.now());
    return { value: undefined, rate };
  }

  async delete(): Promise<Written<void>> {
    throw new CardGoneError();
  }

  async replyPrivate(_target: unknown, _view: unknown, scope: TaskScope): Promise<Written<void>> {
    return { value: undefined, rate: this.take(scope.channelId) };
  }
}
