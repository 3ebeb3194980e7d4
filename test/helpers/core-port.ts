import type { CardHandle, Platform, TaskScope } from '../../src/domain.js';
import { PortRateLimitError, type PlatformPort, type RateInfo, type Written } from '../../src/port.js';
import type { CardView, PrivateView } from '../../src/render/view.js';

/** One thing that happened to a card: posted by the command, or edited by the tracker. */
export interface CardEvent {
  seq: number;
  /** When the port was asked (budget checks use this). */
  at: number;
  type: 'post' | 'edit';
  card: number;
  taskId: string;
  channel: string;
  view: CardView;
}

export interface RateLimitEvent {
  at: number;
  channel: string;
  taskId: string;
  retryAfterMs: number;
  /** Planned by the test (`rateLimitNextEdit`), not earned by writing too fast. */
  forced: boolean;
}

export const channelKey = (scope: Pick<TaskScope, 'platform' | 'guildId' | 'channelId'>) =>
  `${scope.platform}:${scope.guildId}:${scope.channelId}`;

function cardNumber(handle: CardHandle): number {
  const card = handle['card'];
  if (typeof card !== 'number') throw new Error(`not a recording-port handle: ${JSON.stringify(handle)}`);
  return card;
}

/**
 * An in-memory chat platform behind the real port: records every post and edit per card, can be
 * slow, can answer an edit with a platform 429 (PortRateLimitError) on demand, and with `window`
 * keeps a per-channel fixed window like Discord's, reporting what is left on every answer and
 * answering 429 (unforced) to a write beyond it.
 */
export class RecordingPort implements PlatformPort {
  readonly platform: Platform;
  readonly initialRate = { limit: 5, windowMs: 5000 };
  readonly events: CardEvent[] = [];
  readonly replies: Array<{ at: number; channel: string; view: PrivateView }> = [];
  readonly window: { limit: number; windowMs: number } | undefined;
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  readonly rateLimits: RateLimitEvent[] = [];
  readonly deleted: number[] = [];
  /** Simulated latency of one edit. */
  editDelayMs: number;
  /** While set, an edit is recorded and then held until it settles (`holdEdits`). */
  private held: Promise<void> | undefined;
  /** Most edits ever running at once in one channel. */
  maxConcurrentPerChannel = 0;
  private readonly running = new Map<string, number>();
  private readonly planned: Array<{ retryAfterMs: number; channel?: string; source: 'platform' | 'budget' }> = [];
  private nextCard = 1;
  private seq = 0;
  private readonly now: () => number;

  constructor(
    options: {
      platform?: Platform;
      window?: { limit: number; windowMs: number };
      editDelayMs?: number;
      now?: () => number;
    } = {},
  ) {
    this.platform = options.platform ?? 'console';
    this.window = options.window;
    this.editDelayMs = options.editDelayMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  /** The channel's window: what is left after this write, or a 429 beyond it. */
  private take(channel: string, taskId: string): RateInfo | undefined {
    if (!this.window) return undefined;
    const now = this.now();
    let w = this.windows.get(channel);
    if (!w || now >= w.resetAt) {
      w = { count: 0, resetAt: now + this.window.windowMs };
      this.windows.set(channel, w);
    }
    if (w.count >= this.window.limit) {
      const retryAfterMs = w.resetAt - now;
      this.rateLimits.push({ at: now, channel, taskId, retryAfterMs, forced: false });
      throw new PortRateLimitError(retryAfterMs, {
        rate: { remaining: 0, resetAfterMs: retryAfterMs, limit: this.window.limit },
      });
    }
    w.count++;
    return { remaining: this.window.limit - w.count, resetAfterMs: w.resetAt - now, limit: this.window.limit };
  }

  /** Unforced 429s: writes the port had to refuse because they came too fast. */
  unforced(): RateLimitEvent[] {
    return this.rateLimits.filter((r) => !r.forced);
  }

  /**
   * The next edit (in `channel`, or anywhere) answers 429 (or, `budget`, is held back by the adapter) with this
   * retry-after.
   */
  rateLimitNextEdit(retryAfterMs: number, channel?: string, source: 'platform' | 'budget' = 'platform'): void {
    this.planned.push({ retryAfterMs, source, ...(channel ? { channel } : {}) });
  }

  async edit(handle: CardHandle, view: CardView, scope: TaskScope): Promise<Written<undefined>> {
    const card = cardNumber(handle);
    const channel = channelKey(scope);
    const plan = this.planned.findIndex((p) => p.channel === undefined || p.channel === channel);
    if (plan >= 0) {
      const [p] = this.planned.splice(plan, 1);
      const retryAfterMs = p?.retryAfterMs ?? 0;
      this.rateLimits.push({ at: this.now(), channel, taskId: view.taskId, retryAfterMs, forced: true });
      throw new PortRateLimitError(retryAfterMs, { source: p?.source ?? 'platform' });
    }
    const rate = this.take(channel, view.taskId);
    const running = (this.running.get(channel) ?? 0) + 1;
    this.running.set(channel, running);
    this.maxConcurrentPerChannel = Math.max(this.maxConcurrentPerChannel, running);
    try {
      this.record('edit', card, channel, view);
      if (this.editDelayMs > 0) await new Promise((r) => setTimeout(r, this.editDelayMs));
      if (this.held) await this.held;
    } finally {
      this.running.set(channel, (this.running.get(channel) ?? 1) - 1);
    }
    return { value: undefined, ...(rate ? { rate } : {}) };
  }

  /** Edits from now on stay in flight (a platform that answers slowly) until the returned function is called. */
  holdEdits(): () => void {
    let release = (): void => undefined;
    this.held = new Promise<void>((r) => (release = r));
    return () => {
      this.held = undefined;
      release();
    };
  }

  async post(scope: TaskScope, view: CardView): Promise<Written<CardHandle>> {
    const rate = this.take(channelKey(scope), view.taskId);
    const card = this.nextCard++;
    this.record('post', card, channelKey(scope), view);
    return { value: { card }, ...(rate ? { rate } : {}) };
  }

  async delete(handle: CardHandle, scope: TaskScope): Promise<Written<void>> {
    const rate = this.take(channelKey(scope), '');
    this.deleted.push(cardNumber(handle));
    return { value: undefined, ...(rate ? { rate } : {}) };
  }

  async replyPrivate(_target: unknown, view: PrivateView, scope: TaskScope): Promise<Written<void>> {
    const rate = this.take(channelKey(scope), '');
    this.replies.push({ at: this.now(), channel: channelKey(scope), view });
    return { value: undefined, ...(rate ? { rate } : {}) };
  }

  /** Writes of any kind in `channel` (posts, edits; replies and deletes are counted by the window only). */
  writesIn(channel: string): number[] {
    return [
      ...this.events.filter((e) => e.channel === channel).map((e) => e.at),
      ...this.replies.filter((r) => r.channel === channel).map((r) => r.at),
    ].sort((a, b) => a - b);
  }

  /** Every view a task's card showed, post first, in order. */
  viewsFor(taskId: string): CardView[] {
    return this.events.filter((e) => e.taskId === taskId).map((e) => e.view);
  }

  editsFor(taskId: string): CardEvent[] {
    return this.events.filter((e) => e.taskId === taskId && e.type === 'edit');
  }

  lastView(taskId: string): CardView | undefined {
    return this.viewsFor(taskId).at(-1);
  }

  editsIn(channel: string): CardEvent[] {
    return this.events.filter((e) => e.channel === channel && e.type === 'edit');
  }

  /** Subclasses see every event as it is recorded (the child process writes them to a file). */
  protected onEvent(_event: CardEvent): void {}

  private record(type: CardEvent['type'], card: number, channel: string, view: CardView): void {
    const event: CardEvent = { seq: this.seq++, at: this.now(), type, card, taskId: view.taskId, channel, view };
    this.events.push(event);
    this.onEvent(event);
  }
}
