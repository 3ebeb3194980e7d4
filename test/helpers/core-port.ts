import type { CardHandle, Platform, TaskScope } from '../../src/domain.js';
import { PortRateLimitError, type CardPort } from '../../src/port.js';
import type { CardView } from '../../src/render/view.js';

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
}

export const channelKey = (scope: Pick<TaskScope, 'platform' | 'guildId' | 'channelId'>) => `${scope.platform}:${scope.guildId}:${scope.channelId}`;

function cardNumber(handle: CardHandle): number {
  const card = handle['card'];
  if (typeof card !== 'number') throw new Error(`not a recording-port handle: ${JSON.stringify(handle)}`);
  return card;
}

/**
 * An in-memory chat platform behind the real CardPort seam: records every post and edit per
 * card, can be slow, and can answer an edit with a platform 429 (PortRateLimitError) on demand.
 */
export class RecordingPort implements CardPort {
  readonly platform: Platform;
  readonly editBudget: { capacity: number; refillPerSec: number };
  readonly events: CardEvent[] = [];
  readonly rateLimits: RateLimitEvent[] = [];
  readonly deleted: number[] = [];
  /** Simulated latency of one edit. */
  editDelayMs: number;
  /** Most edits ever running at once in one channel. */
  maxConcurrentPerChannel = 0;
  private readonly running = new Map<string, number>();
  private readonly planned: Array<{ retryAfterMs: number; channel?: string; source: 'platform' | 'budget' }> = [];
  private nextCard = 1;
  private seq = 0;
  private readonly now: () => number;

  constructor(options: { platform?: Platform; editBudget?: { capacity: number; refillPerSec: number }; editDelayMs?: number; now?: () => number } = {}) {
    this.platform = options.platform ?? 'console';
    this.editBudget = options.editBudget ?? { capacity: 1000, refillPerSec: 1000 };
    this.editDelayMs = options.editDelayMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  /** What a command's `io.openCard` does: the first, public message of the task. */
  open(scope: TaskScope, view: CardView): CardHandle {
    const card = this.nextCard++;
    this.record('post', card, channelKey(scope), view);
    return { card };
  }

  /** The next edit (in `channel`, or anywhere) answers 429 (or, `budget`, is held back by the adapter) with this retry-after. */
  rateLimitNextEdit(retryAfterMs: number, channel?: string, source: 'platform' | 'budget' = 'platform'): void {
    this.planned.push({ retryAfterMs, source, ...(channel ? { channel } : {}) });
  }

  async editCard(handle: CardHandle, view: CardView, scope: TaskScope): Promise<void> {
    const card = cardNumber(handle);
    const channel = channelKey(scope);
    const plan = this.planned.findIndex((p) => p.channel === undefined || p.channel === channel);
    if (plan >= 0) {
      const [p] = this.planned.splice(plan, 1);
      const retryAfterMs = p?.retryAfterMs ?? 0;
      this.rateLimits.push({ at: this.now(), channel, taskId: view.taskId, retryAfterMs });
      throw new PortRateLimitError(retryAfterMs, { source: p?.source ?? 'platform' });
    }
    const running = (this.running.get(channel) ?? 0) + 1;
    this.running.set(channel, running);
    this.maxConcurrentPerChannel = Math.max(this.maxConcurrentPerChannel, running);
    try {
      this.record('edit', card, channel, view);
      if (this.editDelayMs > 0) await new Promise((r) => setTimeout(r, this.editDelayMs));
    } finally {
      this.running.set(channel, (this.running.get(channel) ?? 1) - 1);
    }
  }

  async postCard(scope: TaskScope, view: CardView): Promise<CardHandle> {
    return this.open(scope, view);
  }

  async deleteCard(handle: CardHandle): Promise<void> {
    this.deleted.push(cardNumber(handle));
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
