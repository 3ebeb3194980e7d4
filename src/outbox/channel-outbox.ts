import { isFinal, type CardHandle, type TaskScope } from '../domain.js';
import type { PlatformPort, Written } from '../port.js';
import type { CardView } from '../render/view.js';
import { sharedShape } from '../shared-shape.js';
import { chooseNext, holdingOf, MENTION_WAIT_MS, NOT_HOLDING, type Priority } from './next-write.js';
import { viewHash } from './card-records.js';
import { RatePacer } from './pacer.js';
import {
  candidates,
  loadOf,
  oncePerRound,
  pauseOnRateLimit,
  transferAsk,
  type CardSlot,
  type ChannelOutboxDeps,
  type Job,
  type Waiting,
} from './slots.js';
import { WakeTimer } from './wake-timer.js';
import { writeCard, type CardWriter } from './card-write.js';
import { CardMedia, type CardMediaState } from './card-media.js';
import type { AskRound } from '../media/transfer-slots.js';

export type { Priority } from './next-write.js';

/**
 * Every message write of one channel, one at a time: first cards, edits, replies, deletes. Views
 * are coalesced per card (latest wins); the most urgent write goes first (final, then a state
 * change, then progress), the longest-waiting among equals; and writes are paced by what the
 * platform said on its last answer. A 429 pauses the channel, not the card.
 */
export class ChannelOutbox {
  private readonly cards = new Map<string, CardSlot>();
  private readonly jobs: Job[] = [];
  private readonly pacer: RatePacer;
  private readonly wake: WakeTimer;
  private writing = false;
  /** The card whose write is on its way. */
  private writingCard: CardSlot | undefined;
  private stopped = false;
  /** Shutting down: what is left goes as fast as the platform allows, finals first but nothing held. */
  private draining = false;
  /** When this channel last had anything to do (idle outboxes are dropped). */
  lastActiveAt: number;
  private readonly media: CardMedia;
  private readonly writer: CardWriter;
  /** How soon this channel could write one more final with its copy (its cards all answer alike). */
  private readonly channelAsk = oncePerRound(() => transferAsk(this.pacer, this.cards, this.writingCard));

  constructor(
    readonly key: string,
    private readonly deps: ChannelOutboxDeps,
  ) {
    this.pacer = new RatePacer(deps.port.initialRate, deps.now);
    this.wake = new WakeTimer(deps.now, () => void this.pump(), deps.timers);
    this.lastActiveAt = deps.now();
    this.media = new CardMedia(deps.media, deps.port.media, deps.log, () => this.kick());
    this.writer = {
      deps,
      pacer: this.pacer,
      media: this.media,
      cards: this.cards,
      paused: (err) => pauseOnRateLimit(err, this.pacer, this.deps, this.key),
      send: (scope, priority, write, mention) => this.send(scope, priority, write, mention),
    };
  }

  /** The card exists (`shownSig`: what it shows, when known). */
  attach(taskId: string, scope: TaskScope, handle: CardHandle | undefined, shownSig?: string): void {
    const slot = this.cards.get(taskId) ?? { scope, failures: 0 };
    // Kept for the card's life: a copy that shares its hidden class (see shared-shape.ts).
    if (handle) slot.handle = sharedShape(handle);
    slot.shownSig = shownSig ?? slot.shownSig;
    if (slot.wanted && slot.wanted.sig === slot.shownSig) slot.wanted = undefined;
    this.cards.set(taskId, slot);
    // Only a view waiting for this card can go now (what else waits was pumped or timed already).
    this.lastActiveAt = this.deps.now();
    if (slot.wanted) this.schedule(0);
  }

  /**
   * The task has no card message yet: the next write for it posts one. Resolves with its handle
   * once posted and persisted, or undefined if it can never be posted here.
   */
  open(taskId: string, scope: TaskScope, view: CardView): Promise<CardHandle | undefined> {
    const existing = this.cards.get(taskId);
    if (existing?.handle) return Promise.resolve(existing.handle);
    return new Promise((resolve) => {
      const slot = existing ?? { scope, failures: 0 };
      const before = slot.posting;
      slot.posting = {
        resolve: (handle) => {
          before?.resolve(handle);
          resolve(handle);
        },
      };
      slot.wanted = { view, sig: viewHash(view), since: slot.wanted?.since ?? this.deps.now() };
      this.cards.set(taskId, slot);
      this.kick();
    });
  }

  /** Wants `view` on the card; a no-op when the card already shows it. */
  offer(taskId: string, offered: CardView): void {
    const slot = this.cards.get(taskId);
    if (!slot) return;
    // Copies already made stay on the card, whatever view is offered later.
    const view = this.media.present(slot.media, offered);
    const sig = viewHash(view);
    if (sig === slot.shownSig && !this.media.wanted(slot.media, view)) {
      slot.wanted = undefined;
      if (isFinal(view.state) && slot.handle) {
        this.cards.delete(taskId);
        this.deps.onShown(taskId, { sig, final: true });
      }
      return;
    }
    slot.wanted = { view, sig, since: slot.wanted?.since ?? this.deps.now() };
    this.kick();
  }

  forget(taskId: string): void {
    const slot = this.cards.get(taskId);
    this.cards.delete(taskId);
    slot?.posting?.resolve(undefined);
    if (slot?.media?.step === 'ready') slot.media.prepared.release();
    // One card fewer in flight: edits held for a busy channel may go now.
    if (slot) this.kick();
  }

  /**
   * A one-off write (a private reply, a delete, a `mention` of the requester), in turn with the
   * cards; settles with its outcome.
   */
  send(
    scope: TaskScope,
    priority: Priority,
    write: (port: PlatformPort) => Promise<Written<unknown>>,
    mention = false,
  ): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the outbox is stopped'));
    return new Promise((resolve, reject) => {
      this.jobs.push({ priority, mention, since: this.deps.now(), scope, write, resolve, reject });
      this.kick();
    });
  }

  /** Writes waiting (for drain and idle checks). */
  pendingCount(): number {
    let n = this.jobs.length;
    for (const slot of this.cards.values()) if (slot.wanted && (slot.handle || slot.posting)) n++;
    return n;
  }

  /** The card is still this outbox's to write (npm run rehost waits for it to be let go). */
  holds(taskId: string): boolean {
    return this.cards.has(taskId);
  }

  /** Nothing held and nothing to do: the outbox can be dropped. */
  idle(): boolean {
    return this.cards.size === 0 && this.jobs.length === 0 && !this.writing;
  }

  stop(): void {
    this.stopped = true;
    this.wake.cancel();
    for (const job of this.jobs.splice(0)) job.reject(new Error('the outbox stopped before this write'));
    for (const slot of this.cards.values()) {
      slot.posting?.resolve(undefined);
      if (slot.media?.step === 'ready') slot.media.prepared.release();
    }
  }

  /** Sends what the platform allows, for at most `deadlineMs` (shutdown). */
  async drain(deadlineMs: number): Promise<void> {
    const end = this.deps.now() + deadlineMs;
    this.draining = true;
    while ((this.pendingCount() > 0 || this.writing) && this.deps.now() < end && !this.stopped) {
      void this.pump();
      await new Promise((r) => setTimeout(r, Math.max(5, Math.min(50, this.pacer.waitMs()))));
    }
  }

  private kick(): void {
    this.lastActiveAt = this.deps.now();
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (!this.stopped) this.wake.in(delayMs);
  }

  /**
   * A finished card's results are still being fetched for the platform (it is written once they
   * settle), or wait for a transfer, which goes to the channel that can write soonest.
   */
  private readonly mediaHolds = (taskId: string, slot: CardSlot): boolean => {
    if (!slot.wanted) return false;
    const ask = (round?: AskRound) =>
      this.stopped || this.cards.get(taskId) !== slot ? undefined : this.channelAsk(round);
    const settle = (next: CardMediaState) => this.settleMedia(taskId, slot, next);
    return this.media.holds(slot.media, slot.wanted.view, slot.handle, settle, ask);
  };

  /**
   * The next write, or how long until a held one may go. Writes held for finals go when the
   * window resets or the channel's cards change (a final written, copies fetched, a card gone).
   */
  private next(): { pick?: Waiting; heldMs: number } {
    const window = this.pacer.window();
    const load = loadOf(this.cards);
    const holding = this.draining ? NOT_HOLDING : holdingOf(window, load);
    const now = this.deps.now();
    const pick = chooseNext(candidates(this.cards, this.jobs, this.mediaHolds, now), holding)?.item;
    if (pick) return { pick, heldMs: 0 };
    // Wake at the first moment something held may go: writes reserved for finals when the window
    // resets, cards whose progress waits for the platform's budget when the first may go. Else a
    // change wakes it (copies fetched, a card gone).
    let until = Infinity;
    if (holding.reserved && window.resetInMs !== undefined && window.resetInMs > 0) until = now + window.resetInMs;
    for (const slot of this.cards.values()) if (slot.wanted && slot.heldUntil) until = Math.min(until, slot.heldUntil);
    // Mentions held for a busy channel or its finals: when the first has waited long enough.
    if (holding.busy || holding.finals)
      for (const job of this.jobs) if (job.mention) until = Math.min(until, job.since + MENTION_WAIT_MS);
    return { heldMs: until === Infinity ? 0 : Math.max(1, until - now) };
  }

  private async pump(): Promise<void> {
    if (this.writing || this.stopped) return;
    this.writing = true;
    try {
      for (;;) {
        if (this.stopped) return;
        const { pick: next, heldMs } = this.next();
        if (!next) return heldMs > 0 ? this.schedule(heldMs) : undefined;
        const wait = this.pacer.waitMs();
        if (wait > 0) return this.schedule(wait);
        this.pacer.spend();
        this.lastActiveAt = this.deps.now();
        try {
          if ('job' in next) await this.runJob(next.job);
          else {
            this.writingCard = next.card[1];
            await writeCard(this.writer, next.card[0], next.card[1]);
          }
        } finally {
          this.writingCard = undefined;
          this.pacer.settled();
        }
      }
    } finally {
      this.writing = false;
      // The window moved (a write went, or the channel now waits): a free transfer may be this channel's.
      this.deps.media?.reconsider();
    }
  }

  /** Keeps a card's media outcome if the card is still this slot's; false when it went away meanwhile. */
  private settleMedia(taskId: string, slot: CardSlot, next: CardMediaState): boolean {
    if (this.stopped || this.cards.get(taskId) !== slot) return false;
    slot.media = next;
    return true;
  }

  private async runJob(job: Job): Promise<void> {
    try {
      const written = await job.write(this.deps.port);
      this.pacer.learn(written.rate);
      this.jobs.splice(this.jobs.indexOf(job), 1);
      job.resolve();
    } catch (err) {
      // Rate limited: the job keeps its place and goes again when the channel may write.
      if (this.writer.paused(err)) return;
      this.jobs.splice(this.jobs.indexOf(job), 1);
      job.reject(err);
    }
  }
}
