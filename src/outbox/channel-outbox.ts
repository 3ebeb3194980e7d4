import { isFinal, type CardHandle, type TaskScope } from '../domain.js';
import { CardGoneError, CardPostError, type PlatformPort, type Written } from '../port.js';
import type { CardView } from '../render/view.js';
import { sharedShape } from '../shared-shape.js';
import { chooseNext, progressHoldMs, type Candidate, type Priority } from './next-write.js';
import { RatePacer } from './pacer.js';
import { pauseOnRateLimit, viewHash, type CardSlot, type ChannelOutboxDeps, type Job } from './slots.js';
import { WakeTimer } from './wake-timer.js';
import { CardMedia, type CardMediaState } from './card-media.js';
import type { PreparedMedia } from '../media/stage.js';

export type { Priority } from './next-write.js';

const MAX_FAILURES = 5;

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
  private stopped = false;
  /** Shutting down: what is left goes as fast as the platform allows, finals first but nothing held. */
  private draining = false;
  /** When this channel last had anything to do (idle outboxes are dropped). */
  lastActiveAt: number;
  private readonly media: CardMedia;

  constructor(
    readonly key: string,
    private readonly deps: ChannelOutboxDeps,
  ) {
    this.pacer = new RatePacer(deps.port.initialRate, deps.now);
    this.wake = new WakeTimer(deps.now, () => void this.pump());
    this.lastActiveAt = deps.now();
    this.media = new CardMedia(deps.media, deps.port.media, deps.log, () => this.kick());
  }

  /** The card exists (`shownSig`: what it shows, when known). */
  attach(taskId: string, scope: TaskScope, handle: CardHandle | undefined, shownSig?: string): void {
    const slot = this.cards.get(taskId) ?? { scope, failures: 0 };
    // Kept for the card's life: a copy that shares its hidden class (see shared-shape.ts).
    if (handle) slot.handle = sharedShape(handle);
    slot.shownSig = shownSig ?? slot.shownSig;
    if (slot.wanted && slot.wanted.sig === slot.shownSig) slot.wanted = undefined;
    this.cards.set(taskId, slot);
    this.kick();
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
  }

  /** A one-off write (a private reply, a delete), in turn with the cards; settles with its outcome. */
  send(scope: TaskScope, priority: Priority, write: (port: PlatformPort) => Promise<Written<unknown>>): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the outbox is stopped'));
    return new Promise((resolve, reject) => {
      this.jobs.push({ priority, since: this.deps.now(), scope, write, resolve, reject });
      this.kick();
    });
  }

  /** Writes waiting (for drain and idle checks). */
  pendingCount(): number {
    let n = this.jobs.length;
    for (const slot of this.cards.values()) if (slot.wanted && (slot.handle || slot.posting)) n++;
    return n;
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

  private cardPriority(slot: CardSlot): Priority {
    const state = slot.wanted?.view.state;
    if (state && isFinal(state)) return 0;
    return slot.posting || state !== slot.shownState ? 1 : 2;
  }

  /** What waits, as candidates for the next write. */
  private *candidates(): Generator<Candidate<{ card: [string, CardSlot] } | { job: Job }>> {
    for (const entry of this.cards) {
      const slot = entry[1];
      if (!slot.wanted || (!slot.handle && !slot.posting)) continue;
      // A finished card waits (showing what it shows) while its results are fetched for the platform.
      if (this.media.holds(slot.media, slot.wanted.view, slot.handle, (next) => this.settleMedia(entry[0], slot, next)))
        continue;
      const priority = this.cardPriority(slot);
      yield { priority, since: slot.wanted.since, holdable: priority !== 0 && !slot.posting, item: { card: entry } };
    }
    for (const job of this.jobs) yield { priority: job.priority, since: job.since, holdable: false, item: { job } };
  }

  /** The next write, or how long until a held one may go. */
  private next(): { pick?: { card: [string, CardSlot] } | { job: Job }; heldMs: number } {
    const heldMs = this.draining ? 0 : progressHoldMs(this.pacer.window(), this.cards.size);
    const pick = chooseNext(this.candidates(), heldMs > 0)?.item;
    return pick ? { pick, heldMs: 0 } : { heldMs: heldMs > 0 && chooseNext(this.candidates(), false) ? heldMs : 0 };
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
          else await this.writeCard(next.card[0], next.card[1]);
        } finally {
          this.pacer.settled();
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** The final with its copies is shown: the transfer slot frees, and the requester hears of it (a follow-up where the sink has one). */
  private mediaWritten(taskId: string, slot: CardSlot, ready: PreparedMedia, view: CardView): void {
    ready.release();
    slot.media = { step: 'done', copies: ready.copies };
    const sink = this.deps.port.media;
    const handle = slot.handle;
    if (!ready.mention || !sink?.mention || !handle) return;
    const mention = sink.mention.bind(sink);
    this.send(slot.scope, 1, () => mention(handle, view, slot.scope)).catch((err: unknown) =>
      this.deps.log.warn(
        { taskId, err: err instanceof Error ? err.message : String(err) },
        'could not mention the requester',
      ),
    );
  }

  /** Keeps a card's media outcome if the card is still this slot's; false when it went away meanwhile. */
  private settleMedia(taskId: string, slot: CardSlot, next: CardMediaState): boolean {
    if (this.stopped || this.cards.get(taskId) !== slot) return false;
    slot.media = next;
    return true;
  }

  /** Rate limits pause the channel; true when `err` was one. */
  private paused(err: unknown): boolean {
    return pauseOnRateLimit(err, this.pacer, this.deps, this.key);
  }

  private async runJob(job: Job): Promise<void> {
    try {
      const written = await job.write(this.deps.port);
      this.pacer.learn(written.rate);
      this.jobs.splice(this.jobs.indexOf(job), 1);
      job.resolve();
    } catch (err) {
      // Rate limited: the job keeps its place and goes again when the channel may write.
      if (this.paused(err)) return;
      this.jobs.splice(this.jobs.indexOf(job), 1);
      job.reject(err);
    }
  }

  private async writeCard(taskId: string, slot: CardSlot): Promise<void> {
    const wanted = slot.wanted;
    if (!wanted) return;
    const { port, metrics, log } = this.deps;
    const posting = !slot.handle;
    // Fetched copies ride in the final write: the view that shows them, and the files.
    const ready = slot.media?.step === 'ready' && isFinal(wanted.view.state) ? slot.media.prepared : undefined;
    const view = this.media.present(slot.media, wanted.view);
    const sig = view === wanted.view ? wanted.sig : viewHash(view);
    try {
      let moved: CardHandle | undefined;
      if (slot.handle) {
        const carry = ready && (ready.files.length > 0 || ready.mention) ? ready : undefined;
        const out = carry ? await this.media.attach(carry, slot.handle, view, slot.scope) : undefined;
        if (out?.refused && ready) {
          // The platform refused the files: the card goes out plain, with Kling's link and a note.
          ready.release();
          slot.media = { step: 'ready', prepared: { ...ready, copies: out.refused, files: [], release: () => {} } };
          return;
        }
        const written = out?.written ?? (await port.edit(slot.handle, view, slot.scope));
        this.pacer.learn(written.rate);
        moved = written.value;
        if (moved) slot.handle = sharedShape(moved);
        if (ready) this.mediaWritten(taskId, slot, ready, view);
      } else {
        const written = await port.post(slot.scope, wanted.view);
        this.pacer.learn(written.rate);
        slot.handle = sharedShape(written.value);
        // Persisted before anything else is written for this card, so a restart edits this message.
        await this.deps.onPosted(taskId, written.value, wanted.sig);
        const posted = slot.posting;
        slot.posting = undefined;
        posted?.resolve(written.value);
      }
      metrics.edits.inc({ platform: port.platform, outcome: 'ok' });
      slot.shownSig = sig;
      slot.shownState = wanted.view.state;
      slot.failures = 0;
      // A newer view may have arrived while the write was in flight.
      if (slot.wanted === wanted) slot.wanted = undefined;
      if (!posting || isFinal(wanted.view.state))
        this.deps.onShown(taskId, {
          sig,
          final: isFinal(wanted.view.state),
          ...(moved ? { handle: moved } : {}),
          ...(ready ? { media: ready.copies } : {}),
        });
      if (!slot.wanted && isFinal(wanted.view.state) && this.cards.get(taskId) === slot) this.cards.delete(taskId);
    } catch (err) {
      if (this.paused(err)) {
        metrics.edits.inc({ platform: port.platform, outcome: 'rate_limited' });
        return;
      }
      metrics.edits.inc({ platform: port.platform, outcome: 'error' });
      if (ready) {
        // Never a broken card: the files are dropped, and the next try shows the link and a note.
        ready.release();
        const failed = ready.copies.map((c) =>
          c.outcome === 'uploaded' ? { url: c.url, outcome: 'failed' as const, at: c.at } : c,
        );
        slot.media = { step: 'ready', prepared: { ...ready, copies: failed, files: [], release: () => {} } };
      }
      if (err instanceof CardGoneError && !posting) {
        log.info({ taskId }, 'card message is gone; no more edits');
        this.cards.delete(taskId);
        this.deps.onGone(taskId);
        return;
      }
      slot.failures++;
      log.warn(
        { taskId, failures: slot.failures, posting, err: err instanceof Error ? err.message : String(err) },
        posting ? 'card post failed' : 'card edit failed',
      );
      if (err instanceof CardPostError || slot.failures >= MAX_FAILURES) {
        slot.wanted = undefined;
        slot.failures = 0;
        if (posting || isFinal(wanted.view.state)) this.cards.delete(taskId);
        slot.posting?.resolve(undefined);
        slot.posting = undefined;
      } else {
        // Back off this channel a little; the view stays wanted.
        this.pacer.pause(250 * 2 ** slot.failures);
      }
    }
  }
}
