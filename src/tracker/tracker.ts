import { isFinal, type CardHandle, type TaskKind, type TaskRecord } from '../domain.js';
import type { KlingClient } from '../kling/client.js';
import { KlingError } from '../kling/errors.js';
import type { KlingTask } from '../kling/schemas.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { estimatedPercent, renderCard } from '../render/card.js';
import { DurationModel, estimateKey } from '../render/estimates.js';
import type { CardView } from '../render/view.js';
import type { TaskStore } from '../store/task-store.js';
import type { Lease } from '../store/lease.js';
import type { ChannelOutbox } from '../outbox/channel-outbox.js';
import type { Outboxes } from '../outbox/outboxes.js';
import { Semaphore } from './limiter.js';

export interface TrackerOptions {
  store: TaskStore;
  kling: KlingClient;
  /** Every card write goes through its channel's outbox. */
  outboxes: Outboxes;
  log: Logger;
  metrics: Metrics;
  /** Base poll interval; every other timing scales from it. */
  pollIntervalMs: number;
  maxConcurrentCalls?: number;
  /** Set when PUBLIC_URL is: creates carry it and polling slows to a fallback. */
  callbackUrl?: string;
  /** At or above this many tasks of one kind in flight, one list call replaces many GETs. */
  listThreshold?: number;
  listPageSize?: number;
  now?: () => number;
  /** With a shared store (Redis): only the replica holding this lease polls and edits. */
  lease?: Lease;
}

type Pack = 'video' | 'image';
const packOf = (kind: TaskKind): Pack => (kind === 'image' ? 'image' : 'video');

interface Live {
  rec: TaskRecord;
  nextCheckAt: number;
  busy: boolean;
  errors: number;
  notFound: number;
  /** Resumed (or a create's answer was lost) before Kling's answer was stored: look it up by our id before creating. */
  lookupFirst: boolean;
  /** The estimated percent last rendered. */
  estimate?: number;
}

const MAX_QUEUE_BACKOFF_FACTOR = 6;
const LOST_AFTER_NOT_FOUND = 3;

/**
 * Follows every unfinished task to its final state. Submission goes through a durable FIFO that
 * absorbs Kling's 1303/1302; polling is shared across channels, adaptive and capped; card edits
 * are delegated to one ChannelTracker per channel. All state is written through to the store,
 * so `start()` after a crash resumes exactly where the last process stopped.
 */
export class Tracker {
  private readonly live = new Map<string, Live>();
  private readonly byKlingId = new Map<string, string>();
  /** Finished tasks whose final card was re-offered after a restart (not read again). */
  private readonly reshown = new Set<string>();
  private readonly queues: Record<Pack, string[]> = { video: [], image: [] };
  private readonly queueState: Record<Pack, { busy: boolean; retryAt: number; backoff: number }> = {
    video: { busy: false, retryAt: 0, backoff: 0 },
    image: { busy: false, retryAt: 0, backoff: 0 },
  };
  private readonly sem: Semaphore;
  private readonly sweeping = new Set<TaskKind>();
  private readonly inflightOps = new Set<Promise<unknown>>();
  private timer?: NodeJS.Timeout;
  private leaseTimer?: NodeJS.Timeout;
  /** Without a lease this process is the only tracker; with one, only while it holds it. */
  private leader: boolean;
  private stopped = false;
  readonly durations = new DurationModel();
  private readonly now: () => number;
  private readonly interval: number;

  constructor(private readonly o: TrackerOptions) {
    this.now = o.now ?? Date.now;
    this.interval = o.pollIntervalMs;
    this.sem = new Semaphore(o.maxConcurrentCalls ?? 8);
    this.leader = !o.lease;
  }

  /** Loads every unfinished task from the store and starts the loop. */
  async start(): Promise<number> {
    const resumed = this.o.lease ? await this.refreshLeadership() : await this.resumeFromStore();
    if (this.o.lease) {
      this.leaseTimer = setInterval(() => void this.refreshLeadership().catch((err: unknown) => this.o.log.warn({ err: String(err) }, 'lease check failed')), this.o.lease.ttlMs / 3);
      this.leaseTimer.unref?.();
    }
    const tick = Math.max(5, Math.floor(this.interval / 4));
    this.timer = setInterval(() => this.tick(), tick);
    this.timer.unref?.();
    this.o.log.info({ resumed, leader: this.leader }, 'tracker started');
    return resumed;
  }

  /** Adopts every stored task that needs tracking and is not tracked here yet. */
  private async resumeFromStore(): Promise<number> {
    // The leader runs this on every lease renewal: read only records it does not hold already.
    const ids = (await this.o.store.inflightIds()).filter((id) => !this.live.has(id) && !this.reshown.has(id));
    const records = await this.o.store.getMany(ids);
    records.sort((a, b) => a.createdAt - b.createdAt);
    for (const rec of records) {
      if (!isFinal(rec.state)) this.adopt(rec, true);
      else {
        this.reshown.add(rec.id);
        this.reshow(rec); // finished, but the card never showed it: a crash beat the last edit
      }
    }
    return records.length;
  }

  /** Renews or takes the lease; the leader also picks up tasks other replicas accepted. */
  private async refreshLeadership(): Promise<number> {
    const lease = this.o.lease;
    if (!lease || this.stopped) return 0;
    const leader = await lease.acquire();
    if (leader !== this.leader) this.o.log.info({ owner: lease.owner, leader }, leader ? 'took the tracker lease' : 'lost the tracker lease');
    this.leader = leader;
    if (leader) return this.resumeFromStore();
    // Another replica tracks now: forget ours so two never edit one card.
    for (const { rec } of this.live.values()) this.o.outboxes.existing(rec.scope)?.forget(rec.id);
    this.live.clear();
    this.byKlingId.clear();
    this.reshown.clear();
    this.queues.video.length = 0;
    this.queues.image.length = 0;
    return 0;
  }

  /** A new task, already written to the store. */
  track(rec: TaskRecord): void {
    // A follower leaves it to the leader, which adopts it from the store.
    if (!this.leader || this.stopped) return;
    this.adopt(rec, false);
    const live = this.live.get(rec.id);
    if (live) this.tickOne(live);
  }

  /** The task's card exists now (`shownSig`: what it shows). Views wanted meanwhile go out. */
  attachCard(taskId: string, handle: CardHandle, shownSig?: string): void {
    const live = this.live.get(taskId);
    if (live) {
      live.rec = { ...live.rec, card: handle };
      this.channelFor(live.rec)?.attach(taskId, live.rec.scope, handle, shownSig);
      this.rerender(live);
      return;
    }
    // It finished before its card was up: show the final state on it.
    this.track$(
      this.o.store.get(taskId).then((rec) => {
        if (rec) this.reshow({ ...rec, card: handle, ...(shownSig ? { cardSig: shownSig } : {}) });
      }),
    );
  }

  /** No card could be posted for this task: stop holding views for one. */
  cardUnavailable(taskId: string, scope: TaskRecord['scope']): void {
    this.o.outboxes.existing(scope)?.forget(taskId);
  }

  isLive(taskId: string): boolean {
    return this.live.has(taskId);
  }

  liveRecord(taskId: string): TaskRecord | undefined {
    return this.live.get(taskId)?.rec;
  }

  /** Re-checks a task now (Refresh button, callback hint). */
  poke(taskId: string): void {
    const live = this.live.get(taskId);
    if (!live) return;
    live.nextCheckAt = 0;
    this.tickOne(live);
  }

  /** Kling called back: only a hint, the task is re-fetched before anything is believed. */
  hint(klingTaskId: string): boolean {
    const id = this.byKlingId.get(klingTaskId);
    if (id) this.poke(id);
    return Boolean(id);
  }

  /** Shows a finished task's card again (e.g. after a restart lost the last edit). */
  reshow(rec: TaskRecord): void {
    const channel = this.channelFor(rec);
    if (!channel || !rec.card) return;
    channel.attach(rec.id, rec.scope, rec.card, rec.cardSig);
    channel.offer(rec.id, this.view(rec));
  }

  view(rec: TaskRecord): CardView {
    const queue = this.queues[packOf(rec.request.kind)];
    const position = rec.state === 'queued' ? queue.indexOf(rec.id) + 1 : 0;
    const typicalMs = this.typicalMs(rec);
    return renderCard(rec, { now: this.now(), ...(position > 0 ? { queuePosition: position } : {}), ...(typicalMs ? { typicalMs } : {}) });
  }

  /** Tracked tasks per state, for /metrics. */
  countByState(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { rec } of this.live.values()) counts.set(rec.state, (counts.get(rec.state) ?? 0) + 1);
    return counts;
  }

  queueLength(): number {
    return this.queues.video.length + this.queues.image.length;
  }

  liveCount(): number {
    return this.live.size;
  }

  /**
   * Stops polling and waits (bounded) for the calls in flight, whose results reach the outbox.
   * The caller then drains the outboxes, persists, and closes the store, in that order.
   */
  async stop(deadlineMs = 3000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    // Calls already at Kling finish; those still waiting for a slot are dropped (see Semaphore.close).
    this.sem.close();
    const deadline = Date.now() + deadlineMs;
    while (this.inflightOps.size > this.sem.parked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  /** Gives the lease up at once instead of making the next replica wait it out. */
  async releaseLease(): Promise<void> {
    await this.o.lease?.release().catch(() => undefined);
  }

  /**
   * Posts the first card of a task that has none, through the channel's outbox. Resolves once it
   * is posted and its handle stored (undefined if it cannot be posted there).
   */
  async openCard(rec: TaskRecord, view: CardView): Promise<CardHandle | undefined> {
    const outbox = this.o.outboxes.for(rec.scope);
    if (!outbox) return undefined;
    const handle = await outbox.open(rec.id, rec.scope, view);
    if (handle) this.attachCard(rec.id, handle);
    return handle;
  }

  private typicalMs(rec: TaskRecord): number | undefined {
    return this.durations.median(estimateKey(rec.request));
  }

  private adopt(rec: TaskRecord, resumed: boolean): void {
    // A new task goes to Kling at once (the user is watching its card); a resumed one is checked at once.
    const live: Live = { rec, nextCheckAt: resumed || rec.state === 'pending' ? 0 : this.now() + this.interval, busy: false, errors: 0, notFound: 0, lookupFirst: resumed && (rec.state === 'pending' || rec.state === 'queued') };
    this.live.set(rec.id, live);
    if (rec.klingTaskId) this.byKlingId.set(rec.klingTaskId, rec.id);
    if (rec.state === 'queued') this.enqueue(live);
    this.channelFor(rec)?.attach(rec.id, rec.scope, rec.card, rec.cardSig);
    this.rerender(live);
    // Crashed between posting the card and storing its handle: post a fresh card.
    if (resumed && !rec.card) this.track$(this.postMissingCard(live));
  }

  private async postMissingCard(live: Live): Promise<void> {
    // The outbox retries a 429 or an outage itself; it gives up only where no card can ever go.
    await this.openCard(live.rec, this.view(live.rec));
  }

  /** Only the leader writes to cards. */
  private channelFor(rec: TaskRecord): ChannelOutbox | undefined {
    return this.leader && !this.stopped ? this.o.outboxes.for(rec.scope) : undefined;
  }

  private rerender(live: Live): void {
    const typicalMs = this.typicalMs(live.rec);
    live.estimate = estimatedPercent(live.rec, { now: this.now(), ...(typicalMs ? { typicalMs } : {}) });
    this.channelFor(live.rec)?.offer(live.rec.id, this.view(live.rec));
  }

  /** Nothing changed at Kling: only the estimate can move the card, and it is cheap to check. */
  private rerenderIfEstimateMoved(live: Live): void {
    const typicalMs = this.typicalMs(live.rec);
    if (!typicalMs) return;
    if (estimatedPercent(live.rec, { now: this.now(), typicalMs }) !== live.estimate) this.rerender(live);
  }

  /** Runs work as a tracked operation, so stop() can wait for it and nothing throws unhandled. */
  private track$<T>(p: Promise<T>): void {
    const op = p.catch((err: unknown) => this.o.log.error({ err: err instanceof Error ? err.message : String(err) }, 'tracker operation failed'));
    this.inflightOps.add(op);
    void op.finally(() => this.inflightOps.delete(op));
  }

  /**
   * What a tick does, for one task that just arrived or was poked: a burst of n new tasks then
   * costs n steps, not n full ticks over everything in flight.
   */
  private tickOne(live: Live): void {
    if (this.stopped || !this.leader || live.busy) return;
    const now = this.now();
    const { state, request } = live.rec;
    if (state === 'queued') return this.drainQueue(packOf(request.kind), now);
    if (live.nextCheckAt > now) return;
    if (state === 'pending') this.track$(this.submit(live));
    else if (state === 'submitted' || state === 'processing') this.track$(this.pollOne(live));
  }

  private tick(): void {
    if (this.stopped || !this.leader) return;
    const now = this.now();
    const due = new Map<TaskKind, Live[]>();
    const liveByKind = new Map<TaskKind, number>();
    for (const live of this.live.values()) {
      const { state, request } = live.rec;
      if (state === 'pending' && !live.busy && live.nextCheckAt <= now) this.track$(this.submit(live));
      if (state !== 'submitted' && state !== 'processing') continue;
      liveByKind.set(request.kind, (liveByKind.get(request.kind) ?? 0) + 1);
      if (live.busy || live.nextCheckAt > now) continue;
      const list = due.get(request.kind) ?? [];
      list.push(live);
      due.set(request.kind, list);
    }
    for (const pack of ['video', 'image'] as const) this.drainQueue(pack, now);
    for (const [kind, group] of due) {
      const inFlight = liveByKind.get(kind) ?? 0;
      if (inFlight >= (this.o.listThreshold ?? 6) && this.o.kling.supportsList(kind)) {
        if (!this.sweeping.has(kind)) this.track$(this.sweep(kind, group));
      } else {
        for (const live of group) this.track$(this.pollOne(live));
      }
    }
  }

  private nextInterval(rec: TaskRecord): number {
    const base = this.o.callbackUrl ? this.interval * 4 : this.interval;
    const age = this.now() - (rec.submittedAt ?? rec.createdAt);
    // Soon after submit every interval; a task long in processing is checked less often.
    const factor = age < 60 * this.interval ? 1 : age < 240 * this.interval ? 1.5 : 2;
    return base * factor * (0.9 + Math.random() * 0.2);
  }

  // ---- submission and the durable queue ----

  /** A newcomer refused at once (1303/1302) takes its place by age, never ahead of a head being submitted. */
  private insertByAge(pack: Pack, live: Live): void {
    const queue = this.queues[pack];
    let i = this.queueState[pack].busy ? 1 : 0;
    while (i < queue.length && (this.live.get(queue[i] ?? '')?.rec.createdAt ?? 0) <= live.rec.createdAt) i++;
    queue.splice(i, 0, live.rec.id);
  }

  private enqueue(live: Live): void {
    const queue = this.queues[packOf(live.rec.request.kind)];
    if (!queue.includes(live.rec.id)) queue.push(live.rec.id);
  }

  private drainQueue(pack: Pack, now: number): void {
    const state = this.queueState[pack];
    const head = this.queues[pack][0];
    if (!head || state.busy || state.retryAt > now) return;
    const live = this.live.get(head);
    if (!live) {
      this.queues[pack].shift();
      return;
    }
    state.busy = true;
    this.track$(this.submit(live).finally(() => (state.busy = false)));
  }

  private async submit(live: Live): Promise<void> {
    const { rec } = live;
    const pack = packOf(rec.request.kind);
    // Newcomers wait behind the queue instead of overtaking it.
    if (rec.state === 'pending' && this.queues[pack].length > 0 && !live.lookupFirst) {
      await this.toQueued(live);
      return;
    }
    live.busy = true;
    try {
      let task: KlingTask | undefined;
      if (live.lookupFirst) task = await this.lookup(rec);
      task ??= await this.sem.run(() => this.o.kling.create(rec.request, rec.id, this.o.callbackUrl));
      live.lookupFirst = false;
      if (this.queues[pack][0] === rec.id) this.queues[pack].shift();
      this.queueState[pack].backoff = 0;
      await this.apply(live, task, { submitted: true });
      this.rerenderQueue(pack);
    } catch (err) {
      await this.submitFailed(live, err);
    } finally {
      live.busy = false;
    }
  }

  /** A resumed `pending` task may already exist at Kling under our id. */
  private async lookup(rec: TaskRecord): Promise<KlingTask | undefined> {
    try {
      return await this.sem.run(() => this.o.kling.get(rec.request.kind, rec.id));
    } catch (err) {
      if (err instanceof KlingError && err.kind === 'not_found') return undefined;
      throw err;
    }
  }

  private async toQueued(live: Live): Promise<void> {
    this.enqueue(live);
    if (live.rec.state !== 'queued') await this.save(live, { ...live.rec, state: 'queued', queuedAt: this.now(), updatedAt: this.now() });
    this.rerenderQueue(packOf(live.rec.request.kind));
  }

  private rerenderQueue(pack: Pack): void {
    for (const id of this.queues[pack]) {
      const live = this.live.get(id);
      if (live) this.rerender(live);
    }
  }

  private async submitFailed(live: Live, err: unknown): Promise<void> {
    const pack = packOf(live.rec.request.kind);
    const now = this.now();
    if (err instanceof KlingError && (err.kind === 'concurrency' || err.kind === 'rate_limit')) {
      const q = this.queueState[pack];
      q.backoff = Math.min(q.backoff + 1, MAX_QUEUE_BACKOFF_FACTOR);
      q.retryAt = now + Math.max(err.details.retryAfterMs ?? 0, 1000 * 2 ** (q.backoff - 1) * (0.8 + Math.random() * 0.4));
      if (!this.queues[pack].includes(live.rec.id)) this.insertByAge(pack, live);
      await this.toQueued(live);
      return;
    }
    if (err instanceof KlingError && !err.retryable && err.kind !== 'auth') {
      // Kling refused the request itself (policy, parameters, balance): final, nothing was charged.
      if (this.queues[pack][0] === live.rec.id) this.queues[pack].shift();
      await this.save(live, { ...live.rec, state: 'failed', failureCode: 'refused', statusMsg: err.userMessage, finishedAt: now, updatedAt: now, delayedSince: undefined });
      this.finish(live);
      this.rerenderQueue(pack);
      return;
    }
    // Transient (or our keys are being fixed): keep the task, say "delayed", try again later.
    // The create may have landed before its answer was lost: look it up by our id first.
    if (err instanceof KlingError && (err.kind === 'timeout' || err.kind === 'network' || err.kind === 'malformed')) live.lookupFirst = true;
    live.errors++;
    live.nextCheckAt = now + Math.min(this.interval * 2 ** live.errors, this.interval * 12);
    this.o.log.warn({ taskId: live.rec.id, err: err instanceof Error ? err.message : String(err) }, 'submit delayed');
    if (this.queues[pack][0] === live.rec.id) this.queueState[pack].retryAt = live.nextCheckAt;
    if (live.rec.delayedSince === undefined) await this.save(live, { ...live.rec, delayedSince: now, updatedAt: now });
  }

  // ---- polling ----

  private async pollOne(live: Live): Promise<void> {
    live.busy = true;
    try {
      const task = await this.sem.run(() => this.o.kling.get(live.rec.request.kind, live.rec.klingTaskId ?? live.rec.id));
      await this.apply(live, task);
    } catch (err) {
      await this.pollFailed(live, err);
    } finally {
      live.busy = false;
    }
  }

  /** One pass over a kind's list pages covering every tracked task of that kind. */
  private async sweep(kind: TaskKind, due: Live[]): Promise<void> {
    this.sweeping.add(kind);
    const tracked = [...this.live.values()].filter((l) => l.rec.request.kind === kind && l.rec.klingTaskId && (l.rec.state === 'submitted' || l.rec.state === 'processing'));
    const unseen = new Set(tracked.map((l) => l.rec.klingTaskId as string));
    const oldest = Math.min(...tracked.map((l) => l.rec.submittedAt ?? l.rec.createdAt));
    const pageSize = this.o.listPageSize ?? 500;
    const maxPages = Math.min(1000, Math.ceil(tracked.length / pageSize) + 3);
    for (const l of tracked) l.busy = true;
    try {
      for (let page = 1; page <= maxPages && unseen.size > 0; page++) {
        const tasks = await this.sem.run(() => this.o.kling.list(kind, page, pageSize));
        const updates: Array<Promise<void>> = [];
        for (const task of tasks) {
          const id = this.byKlingId.get(task.taskId);
          const live = id ? this.live.get(id) : undefined;
          unseen.delete(task.taskId);
          if (live && !isFinal(live.rec.state)) updates.push(this.apply(live, task));
        }
        // Cards are re-rendered inside apply before its store write; writes run side by side.
        await Promise.all(updates);
        const last = tasks.at(-1);
        // Newest first: once a page reaches past our oldest task, later pages hold none of ours.
        if (tasks.length < pageSize || (last?.createdAt !== undefined && last.createdAt < oldest - 60_000)) break;
      }
      for (const l of tracked) l.busy = false;
      // Anything the list missed is asked for directly.
      for (const l of tracked) if (l.rec.klingTaskId && unseen.has(l.rec.klingTaskId)) this.track$(this.pollOne(l));
    } catch (err) {
      for (const l of tracked) l.busy = false;
      if (err instanceof KlingError && err.kind === 'not_found') {
        for (const l of due) this.track$(this.pollOne(l));
      } else {
        for (const l of due) await this.pollFailed(l, err);
      }
    } finally {
      this.sweeping.delete(kind);
    }
  }

  private async pollFailed(live: Live, err: unknown): Promise<void> {
    const now = this.now();
    if (err instanceof KlingError && err.kind === 'not_found') {
      live.notFound++;
      if (live.notFound >= LOST_AFTER_NOT_FOUND) {
        await this.save(live, { ...live.rec, state: 'failed', failureCode: 'lost', finishedAt: now, updatedAt: now });
        this.finish(live);
        return;
      }
    }
    live.errors++;
    live.nextCheckAt = now + Math.min(this.interval * 2 ** live.errors, this.interval * 12);
    this.o.log.warn({ taskId: live.rec.id, err: err instanceof Error ? err.message : String(err), errors: live.errors }, 'poll failed; will retry');
    if (live.rec.delayedSince === undefined && live.errors >= 2) await this.save(live, { ...live.rec, delayedSince: now, updatedAt: now });
  }

  /** Folds what Kling says into the record; persists and re-renders only on change. */
  private async apply(live: Live, task: KlingTask, opts: { submitted?: boolean } = {}): Promise<void> {
    const prev = live.rec;
    const now = this.now();
    const next: TaskRecord = {
      ...prev,
      state: task.status,
      klingTaskId: task.taskId,
      ...(task.progress !== undefined ? { progress: task.progress } : {}),
      ...(task.statusMsg ? { statusMsg: task.statusMsg } : {}),
      ...(task.result ? { result: task.result } : {}),
      ...(task.credits ? { credits: task.credits } : {}),
      submittedAt: prev.submittedAt ?? (opts.submitted ? now : (task.createdAt ?? now)),
      ...(task.status === 'processing' && !prev.processingAt ? { processingAt: now } : {}),
      ...(isFinal(task.status) ? { finishedAt: prev.finishedAt ?? now } : {}),
      delayedSince: undefined,
      queuedAt: undefined,
    };
    live.errors = 0;
    live.notFound = 0;
    live.nextCheckAt = now + this.nextInterval(next);
    this.byKlingId.set(task.taskId, prev.id);
    const changed =
      next.state !== prev.state ||
      next.klingTaskId !== prev.klingTaskId ||
      next.progress !== prev.progress ||
      next.statusMsg !== prev.statusMsg ||
      prev.delayedSince !== undefined ||
      prev.queuedAt !== undefined ||
      (next.result !== undefined && prev.result === undefined);
    if (changed) await this.save(live, { ...next, updatedAt: now });
    else this.rerenderIfEstimateMoved(live);
    if (isFinal(next.state)) this.finish(live);
  }

  private async save(live: Live, next: TaskRecord): Promise<void> {
    live.rec = next;
    this.rerender(live);
    // The tracker owns status fields; the card handle and signature belong to the channel tracker.
    await this.o.store.update(next.id, (cur) => ({ ...next, card: cur.card ?? next.card, cardSig: cur.cardSig, finalShown: cur.finalShown, deleted: cur.deleted }));
  }

  private finish(live: Live): void {
    const { rec } = live;
    this.live.delete(rec.id);
    if (rec.klingTaskId) this.byKlingId.delete(rec.klingTaskId);
    if (rec.state === 'succeed' && rec.submittedAt && rec.finishedAt) this.durations.observe(estimateKey(rec.request), rec.finishedAt - rec.submittedAt);
    // A slot freed: the queue head may go now.
    const pack = packOf(rec.request.kind);
    this.queueState[pack].retryAt = Math.min(this.queueState[pack].retryAt, this.now());
  }
}
