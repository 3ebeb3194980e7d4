import { isFinal, type TaskKind } from '../domain.js';
import type { KlingClient } from '../kling/client.js';
import { KlingError } from '../kling/errors.js';
import type { KlingTask } from '../kling/schemas.js';
import { LIST_LIMIT } from '../kling/standards/new-reads.js';
import type { Semaphore } from './limiter.js';
import type { LiveTask, LiveTasks } from './live.js';

export interface PollerDeps {
  kling: Pick<
    KlingClient,
    'get' | 'getMany' | 'canBatch' | 'batchSize' | 'list' | 'listNew' | 'supportsList' | 'supportsNewList'
  >;
  /** Caps provider calls across polling and submission. */
  sem: Semaphore;
  live: LiveTasks;
  /** At or above this many tasks of one kind in flight, one list call replaces many GETs. */
  listThreshold: number;
  listPageSize: number;
  /** What Kling said about a task, and how asking failed: the tracker folds both into the record. */
  answered: (live: LiveTask, task: KlingTask) => Promise<void>;
  failed: (live: LiveTask, err: unknown) => Promise<void>;
  /** Runs work the tracker waits for on stop. */
  run: (work: Promise<unknown>) => void;
}

/**
 * Asks Kling about running tasks: one GET per due task, or, with many of one kind in flight, one
 * pass over the list pages for all of them (anything the list missed is asked for directly).
 * New-standard tasks are read together: once one is due, every one in flight goes in the same
 * `GET /tasks` batches, or, past one batch, in a pass over the account's task list.
 */
export class Poller {
  private readonly sweeping = new Set<TaskKind>();

  constructor(private readonly o: PollerDeps) {}

  /** Starts the checks that are due now. */
  pollDue(now: number): void {
    const due = new Map<TaskKind, LiveTask[]>();
    const inFlight = new Map<TaskKind, number>();
    const batch: LiveTask[] = [];
    for (const live of this.o.live.values()) {
      const { state, request } = live.rec;
      if (state !== 'submitted' && state !== 'processing') continue;
      // Tasks the client can read many at a time go together, whatever their kind.
      // A task in backoff (an error, or missing from an answer) waits for its own time.
      if (this.o.kling.canBatch(live.rec)) {
        const clean = live.counters.errors === 0 && live.counters.notFound === 0;
        if (!live.busy && (clean || live.nextCheckAt <= now)) batch.push(live);
        continue;
      }
      inFlight.set(request.kind, (inFlight.get(request.kind) ?? 0) + 1);
      if (live.busy || live.nextCheckAt > now) continue;
      due.set(request.kind, [...(due.get(request.kind) ?? []), live]);
    }
    for (const [kind, group] of due) {
      if ((inFlight.get(kind) ?? 0) >= this.o.listThreshold && this.o.kling.supportsList(kind)) {
        if (!this.sweeping.has(kind)) this.o.run(this.sweep(kind, group));
      } else {
        for (const live of group) this.o.run(this.pollOne(live));
      }
    }
    // One due task takes the others with it: the call costs the same, and their checks fall into step.
    if (batch.some((l) => l.nextCheckAt <= now))
      this.o.run(
        batch.length > this.o.kling.batchSize && this.o.kling.supportsNewList()
          ? this.sweepNew(batch)
          : this.pollBatch(batch),
      );
  }

  /** One call for many tasks; a task missing from the answer counts as not found (three in a row: lost). */
  private async pollBatch(group: LiveTask[]): Promise<void> {
    for (const l of group) l.busy = true;
    try {
      const tasks = await this.o.sem.run(() => this.o.kling.getMany(group.map((l) => l.rec.klingTaskId ?? l.rec.id)));
      const byId = new Map(tasks.map((t) => [t.taskId, t]));
      await Promise.all(
        group.map((l) => {
          const task = byId.get(l.rec.klingTaskId ?? '');
          return task
            ? this.o.answered(l, task)
            : this.o.failed(l, new KlingError('not_found', 'task missing from a batch answer'));
        }),
      );
    } catch (err) {
      await Promise.all(group.map((l) => this.o.failed(l, err)));
    } finally {
      for (const l of group) l.busy = false;
    }
  }

  /**
   * The new standard's sweep: pages of the account's task list (`POST /tasks`, up to 500 a page)
   * until every task in flight was seen, Kling has no more, or a page cap (the list holds the
   * account's last 30 days, and its order is not documented). Tasks it missed, or all of them if
   * the list fails, are read in batches.
   */
  private async sweepNew(group: LiveTask[]): Promise<void> {
    const unseen = new Map(group.map((l) => [l.rec.klingTaskId ?? '', l]));
    const maxPages = Math.ceil(group.length / LIST_LIMIT) + 3;
    for (const l of group) l.busy = true;
    try {
      let cursor: string | undefined;
      for (let page = 0; page < maxPages && unseen.size > 0; page++) {
        const { tasks, nextCursor } = await this.o.sem.run(() => this.o.kling.listNew(cursor));
        const updates: Array<Promise<void>> = [];
        for (const task of tasks) {
          const live = unseen.get(task.taskId);
          if (!live) continue;
          unseen.delete(task.taskId);
          updates.push(this.o.answered(live, task));
        }
        await Promise.all(updates);
        if (nextCursor === undefined) break;
        cursor = nextCursor;
      }
    } catch {
      // The batches below ask about every task the list did not answer for.
    } finally {
      for (const l of group) l.busy = false;
    }
    if (unseen.size > 0) await this.pollBatch([...unseen.values()]);
  }

  async pollOne(live: LiveTask): Promise<void> {
    live.busy = true;
    try {
      const { rec } = live;
      const task = await this.o.sem.run(() =>
        this.o.kling.get(rec.request.kind, rec.klingTaskId ?? rec.id, {
          standard: rec.standard,
          external: rec.klingTaskId === undefined,
        }),
      );
      await this.o.answered(live, task);
    } catch (err) {
      await this.o.failed(live, err);
    } finally {
      live.busy = false;
    }
  }

  /** One pass over a kind's list pages covering every tracked task of that kind. */
  private async sweep(kind: TaskKind, due: LiveTask[]): Promise<void> {
    this.sweeping.add(kind);
    const tracked = [...this.o.live.values()].filter(
      (l) =>
        l.rec.request.kind === kind &&
        !this.o.kling.canBatch(l.rec) &&
        l.rec.klingTaskId &&
        (l.rec.state === 'submitted' || l.rec.state === 'processing'),
    );
    const unseen = new Set(tracked.map((l) => l.rec.klingTaskId as string));
    const oldest = Math.min(...tracked.map((l) => l.rec.submittedAt ?? l.rec.createdAt));
    const pageSize = this.o.listPageSize;
    const maxPages = Math.min(1000, Math.ceil(tracked.length / pageSize) + 3);
    for (const l of tracked) l.busy = true;
    try {
      for (let page = 1; page <= maxPages && unseen.size > 0; page++) {
        const tasks = await this.o.sem.run(() => this.o.kling.list(kind, page, pageSize));
        const updates: Array<Promise<void>> = [];
        for (const task of tasks) {
          const live = this.o.live.byKling(task.taskId);
          unseen.delete(task.taskId);
          if (live && !isFinal(live.rec.state)) updates.push(this.o.answered(live, task));
        }
        // Cards are re-rendered inside `answered` before its store write; writes run side by side.
        await Promise.all(updates);
        const last = tasks.at(-1);
        // Newest first: once a page reaches past our oldest task, later pages hold none of ours.
        if (tasks.length < pageSize || (last?.createdAt !== undefined && last.createdAt < oldest - 60_000)) break;
      }
      for (const l of tracked) l.busy = false;
      for (const l of tracked) if (l.rec.klingTaskId && unseen.has(l.rec.klingTaskId)) this.o.run(this.pollOne(l));
    } catch (err) {
      for (const l of tracked) l.busy = false;
      if (err instanceof KlingError && err.kind === 'not_found') {
        for (const l of due) this.o.run(this.pollOne(l));
      } else {
        for (const l of due) await this.o.failed(l, err);
      }
    } finally {
      this.sweeping.delete(kind);
    }
  }
}
