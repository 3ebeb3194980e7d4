import { createHash } from 'node:crypto';
import { isFinal, type CardHandle, type TaskScope, type TaskState } from '../domain.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { CardGoneError, PortRateLimitError, type CardPort } from '../port.js';
import { cardSignature } from '../render/card.js';
import type { CardView } from '../render/view.js';
import { TokenBucket } from './limiter.js';

export const viewHash = (view: CardView) => createHash('sha1').update(cardSignature(view)).digest('base64url').slice(0, 16);

interface Slot {
  scope: TaskScope;
  handle?: CardHandle;
  /** What the card shows now (hash), and its state. */
  shownSig?: string;
  shownState?: TaskState;
  /** Latest wanted view; replaced by newer ones (latest state wins). */
  wanted?: { view: CardView; sig: string; since: number };
  failures: number;
}

export interface ChannelTrackerDeps {
  port: CardPort;
  log: Logger;
  metrics: Metrics;
  now: () => number;
  /** Persists a moved handle and the signature shown. */
  onShown: (taskId: string, update: { handle?: CardHandle; sig: string; final: boolean }) => void;
  /** The card message is gone: nothing more will ever be shown on it. */
  onGone: (taskId: string) => void;
}

const MAX_EDIT_FAILURES = 5;

/**
 * Owns one channel's cards and its edit budget. Views are coalesced per card; final views go
 * first; a 429 pauses the whole channel for as long as the platform says.
 */
export class ChannelTracker {
  private readonly slots = new Map<string, Slot>();
  private readonly bucket: TokenBucket;
  private pausedUntil = 0;
  private timer?: NodeJS.Timeout;
  private timerDueAt = 0;
  private flushing = false;
  private stopped = false;

  constructor(
    readonly key: string,
    private readonly deps: ChannelTrackerDeps,
  ) {
    this.bucket = new TokenBucket(deps.port.editBudget.capacity, deps.port.editBudget.refillPerSec, deps.now);
  }

  attach(taskId: string, scope: TaskScope, handle: CardHandle | undefined, shownSig?: string): void {
    const slot = this.slots.get(taskId) ?? { scope, failures: 0 };
    slot.handle = handle ?? slot.handle;
    slot.shownSig = shownSig ?? slot.shownSig;
    if (slot.wanted && slot.wanted.sig === slot.shownSig) slot.wanted = undefined;
    this.slots.set(taskId, slot);
    if (slot.wanted && slot.handle) this.schedule(0);
  }

  /** Wants `view` on the card; a no-op when the card already shows it. */
  offer(taskId: string, view: CardView): void {
    const slot = this.slots.get(taskId);
    if (!slot) return;
    const sig = viewHash(view);
    if (sig === slot.shownSig) {
      slot.wanted = undefined;
      if (isFinal(view.state)) {
        this.slots.delete(taskId);
        this.deps.onShown(taskId, { sig, final: true });
      }
      return;
    }
    slot.wanted = { view, sig, since: slot.wanted?.since ?? this.deps.now() };
    this.schedule(0);
  }

  forget(taskId: string): void {
    this.slots.delete(taskId);
  }

  private unfinished(): number {
    let n = 0;
    for (const slot of this.slots.values()) if (!slot.shownState || !isFinal(slot.shownState)) n++;
    return n;
  }

  pendingCount(): number {
    let n = 0;
    for (const slot of this.slots.values()) if (slot.wanted && slot.handle) n++;
    return n;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Flushes what the budget allows, waiting at most `deadlineMs` (shutdown). */
  async drain(deadlineMs: number): Promise<void> {
    const end = this.deps.now() + deadlineMs;
    while (this.pendingCount() > 0 && this.deps.now() < end) {
      await this.flush();
      if (this.pendingCount() > 0) await new Promise((r) => setTimeout(r, 20));
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    const dueAt = this.deps.now() + Math.max(0, delayMs);
    // An urgent view must not wait behind a timer set for a slower one.
    if (this.timer) {
      if (dueAt >= this.timerDueAt) return;
      clearTimeout(this.timer);
    }
    this.timerDueAt = dueAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, Math.max(0, delayMs));
  }

  /** 0: final, 1: a new state, 2: only progress moved (may wait; never spends the last token). */
  private priority(slot: Slot): number {
    const state = slot.wanted?.view.state;
    if (!state) return 3;
    if (isFinal(state)) return 0;
    return state !== slot.shownState ? 1 : 2;
  }

  /** Next card to edit: most urgent first, then the longest-waiting. */
  private next(): [string, Slot, number] | undefined {
    let best: [string, Slot, number] | undefined;
    for (const [id, slot] of this.slots) {
      if (!slot.wanted || !slot.handle) continue;
      const p = this.priority(slot);
      if (!best || p < best[2] || (p === best[2] && slot.wanted.since < (best[1].wanted?.since ?? Infinity))) best = [id, slot, p];
    }
    return best;
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.stopped) return;
    this.flushing = true;
    try {
      for (;;) {
        const wait = Math.max(this.pausedUntil - this.deps.now(), 0);
        if (wait > 0) return this.schedule(wait);
        const entry = this.next();
        if (!entry) return;
        // Progress-only edits keep a token back for every card still to finish, so finals never queue.
        const reserve = entry[2] === 2 ? Math.min(this.deps.port.editBudget.capacity - 1, this.unfinished()) : 0;
        if (!this.bucket.tryTake(reserve)) return this.schedule(this.bucket.waitMs(reserve));
        await this.edit(entry[0], entry[1]);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async edit(taskId: string, slot: Slot): Promise<void> {
    const wanted = slot.wanted;
    if (!wanted || !slot.handle) return;
    const { port, metrics, log } = this.deps;
    try {
      const moved = await port.editCard(slot.handle, wanted.view, slot.scope);
      metrics.edits.inc({ platform: port.platform, outcome: 'ok' });
      if (moved) slot.handle = moved;
      slot.shownSig = wanted.sig;
      slot.shownState = wanted.view.state;
      slot.failures = 0;
      // A newer view may have arrived while the edit was in flight.
      if (slot.wanted === wanted) slot.wanted = undefined;
      this.deps.onShown(taskId, { sig: wanted.sig, final: isFinal(wanted.view.state), ...(moved ? { handle: moved } : {}) });
      if (!slot.wanted && isFinal(wanted.view.state)) this.slots.delete(taskId);
    } catch (err) {
      if (err instanceof PortRateLimitError) {
        this.pausedUntil = this.deps.now() + err.retryAfterMs;
        if (err.source === 'budget') {
          log.debug({ channel: this.key, retryAfterMs: err.retryAfterMs }, 'card edits wait for the platform budget');
          return;
        }
        metrics.rateLimited.inc({ platform: port.platform });
        metrics.edits.inc({ platform: port.platform, outcome: 'rate_limited' });
        this.bucket.drain();
        log.warn({ channel: this.key, retryAfterMs: err.retryAfterMs }, 'card edits paused by platform rate limit');
        return;
      }
      metrics.edits.inc({ platform: port.platform, outcome: 'error' });
      if (err instanceof CardGoneError) {
        log.info({ taskId }, 'card message is gone; no more edits');
        this.slots.delete(taskId);
        this.deps.onGone(taskId);
        return;
      }
      slot.failures++;
      log.warn({ taskId, failures: slot.failures, err: err instanceof Error ? err.message : String(err) }, 'card edit failed');
      if (slot.failures >= MAX_EDIT_FAILURES) {
        slot.wanted = undefined;
        slot.failures = 0;
        if (isFinal(wanted.view.state)) this.slots.delete(taskId);
      } else {
        // Back off this channel a little; the view stays wanted.
        this.pausedUntil = Math.max(this.pausedUntil, this.deps.now() + 250 * 2 ** slot.failures);
      }
    }
  }
}
