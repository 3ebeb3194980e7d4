import { isFinal, type CardHandle, type TaskRecord } from '../domain.js';
import type { CardView } from '../render/view.js';
import { showsAlready, TaskCards } from './cards.js';
import { sharedShape } from '../shared-shape.js';
import { Leadership } from './leadership.js';
import { Semaphore } from './limiter.js';
import { LiveTasks, type LiveTask } from './live.js';
import type { Poller } from './poller.js';
import { packOf, SubmitQueue, type Pack } from './submit-queue.js';
import { createGuard, followStored, type FollowDeps } from './create-guard.js';
import { askingSteps } from './steps.js';
import type { Submitter } from './submitter.js';
import { Operations } from './operations.js';
import { isBehind, mergeForward, type Timing } from './task-machine.js';
import type { TrackerOptions } from './tracker-options.js';
import { Resumer } from './resume.js';
import { quietInterval } from './quiet-interval.js';

/**
 * Follows every unfinished task to its final state, wiring the parts together: the pure task
 * machine decides, the submitter and the poller ask Kling, the submit queue holds 1303/1302
 * refusals, and each channel's outbox shows the cards. Every change is written through to the
 * store, so `start()` after a crash resumes exactly where the last process stopped.
 */
export class Tracker {
  private readonly live = new LiveTasks();
  /** Finished tasks whose final card was re-offered after a restart (not read again). */
  private readonly reshown = new Set<string>();
  private readonly queue = new SubmitQueue((id) => this.live.get(id)?.rec.createdAt);
  private readonly submitter: Submitter;
  private readonly poller: Poller;
  private readonly ops: Operations;
  /** Caps provider calls across submission and polling. */
  private readonly sem: Semaphore;
  private readonly timing: Timing;
  private timer?: NodeJS.Timeout;
  /** Without a lease this process is the only tracker; with one, only while it holds it. */
  private readonly leadership: Leadership;
  private stopped = false;
  private readonly cards: TaskCards;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly resumer: Resumer;

  constructor(private readonly o: TrackerOptions) {
    this.now = o.now ?? Date.now;
    this.ops = new Operations(o.log);
    this.random = o.random ?? Math.random;
    this.resumer = new Resumer(o, this.now);
    this.timing = { intervalMs: o.pollIntervalMs, callbacks: Boolean(o.callbackUrl) };
    this.cards = new TaskCards(o.outboxes, this.queue, () => this.leader && !this.stopped, this.now);
    this.leadership = new Leadership(
      o.lease,
      { gained: (fresh) => this.resumeFromStore(fresh), lost: () => this.dropAll() },
      o.log,
      this.now,
    );
    const sem = (this.sem = new Semaphore(o.maxConcurrentCalls ?? 8));
    ({ submitter: this.submitter, poller: this.poller } = askingSteps(
      o,
      { sem, live: this.live, queue: this.queue, timing: this.timing, now: this.now, random: this.random },
      {
        shown: (live) => this.cards.showIfEstimateMoved(live),
        save: (live, next) => this.save(live, next),
        finish: (live) => this.finish(live),
        queueMoved: (pack) => this.queueMoved(pack),
        clearCreate: createGuard({
          store: o.store,
          log: o.log,
          lease: this.leadership,
          follow: (live, stored) => followStored(live, stored, this.followDeps),
        }),
        run: (work) => this.ops.run(work),
      },
    ));
  }

  private get followDeps(): FollowDeps {
    const { live, queue, cards, now } = this;
    return { live, queue, cards, now, intervalMs: this.timing.intervalMs, finish: (l) => this.finish(l) };
  }

  private get leader(): boolean {
    return this.leadership.leader;
  }

  /** Loads every unfinished task from the store and starts the loop. */
  async start(): Promise<number> {
    const resumed = await this.leadership.start();
    const quiet = () => this.o.burst?.after() ?? Promise.resolve();
    this.timer = quietInterval(Math.max(5, Math.floor(this.timing.intervalMs / 4)), quiet, () => this.tick());
    this.o.log.info({ resumed, leader: this.leader }, 'tracker started');
    return resumed;
  }

  /** Adopts every stored task that needs tracking and is not tracked here yet. */
  private async resumeFromStore(fresh = true): Promise<number> {
    const records = await this.resumer.resume(fresh, {
      held: (id) => this.live.has(id),
      reshown: this.reshown,
      adopt: (rec) => this.adopt(rec, true),
      reshow: (rec) => this.cards.reshow(rec),
      run: (work) => this.ops.run(work),
    });
    // Taken over (or started): ask Kling about them all now, in one batch, not at the next tick.
    if (records.length > 0) this.tick();
    return records.length;
  }

  /** Another replica tracks now: forget ours so two never edit one card. */
  private dropAll(): void {
    for (const { rec } of this.live.values()) this.cards.forget(rec);
    this.live.clear();
    this.reshown.clear();
    this.queue.clear();
  }

  /**
   * A new task, written to the store, with its card (`card`, `cardSig`): the one place its card is attached (and
   * shown, where it does not show the record yet: a placeholder). One adopted from the store before its answer takes
   * the card now; a follower leaves it to the leader.
   */
  track(rec: TaskRecord): void {
    if (!this.leader || this.stopped) return;
    const known = this.live.get(rec.id);
    if (!known) return this.tickOne(this.adopt(rec, false));
    if (known.rec.state === 'pending') this.poke(rec.id);
    if (rec.card) this.attachCard(rec.id, rec.card, rec.cardSig);
  }

  /** The task's card exists now (`shownSig`: what it shows). Views wanted meanwhile go out. */
  private attachCard(taskId: string, handle: CardHandle, shownSig?: string): void {
    const live = this.live.get(taskId);
    if (live) {
      live.rec = sharedShape({ ...live.rec, card: handle });
      this.cards.attach(live.rec, handle, shownSig);
      this.cards.show(live);
      return;
    }
    // It finished before its card was up: show the final state on it.
    this.ops.run(
      this.o.store
        .get(taskId)
        .then((rec) => rec && this.cards.reshow({ ...rec, card: handle, ...(shownSig ? { cardSig: shownSig } : {}) })),
    );
  }

  /** No card could be posted for this task: stop holding views for one. */
  cardUnavailable = (taskId: string, scope: TaskRecord['scope']): void => this.cards.forget({ id: taskId, scope });

  /**
   * Posts the first card of a task that has none, through the channel's outbox. Resolves once it
   * is posted and its handle stored (undefined if it cannot be posted there).
   */
  async openCard(rec: TaskRecord, view: CardView): Promise<CardHandle | undefined> {
    const handle = await this.cards.open(rec, view);
    if (handle) this.attachCard(rec.id, handle);
    return handle;
  }

  isLive = (taskId: string): boolean => this.live.has(taskId);
  liveRecord = (taskId: string): TaskRecord | undefined => this.live.get(taskId)?.rec;
  queueLength = (): number => this.queue.length();
  liveCount = (): number => this.live.size;

  /** Re-checks a task now (Refresh button, callback hint). */
  poke(taskId: string): void {
    const live = this.live.get(taskId);
    if (!live) return;
    live.nextCheckAt = 0;
    this.tickOne(live);
  }

  /** Kling called back naming a task (its id or ours): only a hint, re-fetched before anything is believed. */
  hint(klingTaskId: string): boolean {
    const live = this.live.byKling(klingTaskId) ?? this.live.get(klingTaskId);
    if (live) this.poke(live.rec.id);
    return Boolean(live);
  }

  /** Shows a finished task's card again (e.g. after a restart lost the last edit). */
  reshow = (rec: TaskRecord): void => this.cards.reshow(rec);
  view = (rec: TaskRecord): CardView => this.cards.view(rec);
  /** Tracked tasks per state, for /metrics. */
  countByState = (): Map<string, number> => this.live.countByState();

  /**
   * Stops polling and waits (bounded) for the calls in flight, whose results reach the outbox.
   * The caller then drains the outboxes, persists, and closes the store, in that order.
   */
  async stop(deadlineMs = 3000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.leadership.stop();
    // Calls already at Kling finish; those still waiting for a slot are dropped (see Semaphore.close).
    this.sem.close();
    await this.ops.settle(deadlineMs, () => this.sem.parked);
  }

  /** Gives the lease up at once instead of making the next replica wait it out. */
  releaseLease = (): Promise<void> => this.leadership.release();

  private adopt(rec: TaskRecord, resumed: boolean): LiveTask {
    // Never two live copies of one task (two copies would send two creates).
    const known = this.live.get(rec.id);
    if (known) return known;
    // A new task goes to Kling at once (the user is watching its card); a resumed one is checked at once.
    const nextCheckAt = resumed || rec.state === 'pending' ? 0 : this.now() + this.timing.intervalMs;
    const live = this.live.add(rec, {
      nextCheckAt,
      lookupFirst: resumed && (rec.state === 'pending' || rec.state === 'queued'),
    });
    if (rec.state === 'queued') this.queue.push(rec.request.kind, rec.id);
    this.cards.attach(rec);
    if (!showsAlready(rec, resumed)) this.cards.show(live);
    // Crashed between posting the card and storing its handle: the outbox posts it (finding it first).
    if (resumed && !rec.card) this.ops.run(this.openCard(rec, this.cards.view(rec)));
    return live;
  }

  private queueMoved(pack: Pack): void {
    for (const id of this.queue.ids(pack)) {
      const live = this.live.get(id);
      if (live) this.cards.show(live);
    }
  }

  /** One task that just arrived or was poked: a burst of n new tasks costs n steps, not n full ticks. */
  private tickOne(live: LiveTask): void {
    if (this.stopped || !this.leader || live.busy) return;
    const { state, request } = live.rec;
    if (state === 'queued') return this.submitter.drain(packOf(request.kind), this.now());
    if (live.nextCheckAt > this.now()) return;
    if (state === 'pending') this.ops.run(this.submitter.submit(live));
    else if (state === 'submitted' || state === 'processing') this.ops.run(this.poller.pollOne(live));
  }

  private tick(): void {
    if (this.stopped || !this.leader) return;
    const now = this.now();
    for (const live of this.live.values())
      if (live.rec.state === 'pending' && !live.busy && live.nextCheckAt <= now)
        this.ops.run(this.submitter.submit(live));
    this.submitter.drain('video', now);
    this.submitter.drain('image', now);
    this.poller.pollDue(now);
  }

  private async save(live: LiveTask, next: TaskRecord): Promise<void> {
    // Kept until the task ends: a copy that shares its hidden class (see shared-shape.ts).
    live.rec = sharedShape(next);
    this.cards.show(live);
    // The tracker owns status fields; the card handle and signature belong to the outbox. States only move forward.
    const stored = await this.o.store.update(next.id, (cur) => mergeForward(cur, next));
    if (stored && isBehind(next.state, stored.state)) {
      this.o.log.warn(
        { taskId: next.id, ours: next.state, stored: stored.state },
        'the store is further along than this replica; following it',
      );
      live.rec = stored;
      if (isFinal(stored.state)) this.finish(live);
    }
  }

  private finish(live: LiveTask): void {
    const { rec } = live;
    this.live.remove(rec);
    this.cards.finished(rec);
    // A slot freed: the queue head may go now.
    this.queue.slotFreed(rec.request.kind, this.now());
  }
}
