import type { TaskRecord } from '../domain.js';
import type { KlingClient } from '../kling/client.js';
import { KlingError } from '../kling/errors.js';
import type { KlingTask } from '../kling/schemas.js';
import type { Logger } from '../log.js';
import type { Semaphore } from './limiter.js';
import type { LiveTask, LiveTasks } from './live.js';
import type { Pack, SubmitQueue } from './submit-queue.js';
import { packOf } from './submit-queue.js';
import { onSubmitError, type Timing } from './task-machine.js';

export interface SubmitterDeps {
  kling: Pick<KlingClient, 'create' | 'get'>;
  sem: Semaphore;
  live: LiveTasks;
  queue: SubmitQueue;
  timing: Timing;
  log: Logger;
  now: () => number;
  callbackUrl?: string;
  /** Kling accepted the task (or already had it). */
  answered: (live: LiveTask, task: KlingTask) => Promise<void>;
  /** Persists a new record for the task and shows it. */
  save: (live: LiveTask, next: TaskRecord) => Promise<void>;
  /** The task is final: it leaves the tracker. */
  finish: (live: LiveTask) => void;
  /** The queue moved: every queued card shows its new place. */
  queueMoved: (pack: Pack) => void;
  /**
   * Right before a create: the store is read again and the create marked with this leader's lease
   * epoch (see create-guard.ts), and the lease checked once more. `skip`: not ours to send now.
   */
  clearCreate: (live: LiveTask) => Promise<'create' | 'lookup' | 'skip'>;
  run: (work: Promise<unknown>) => void;
}

/**
 * Sends tasks to Kling, each once: a task whose create may have landed without its answer
 * reaching us is looked up by our id first. Kling's 1303/1302 put it in the durable queue.
 */
export class Submitter {
  constructor(private readonly o: SubmitterDeps) {}

  /** The queue head goes if its lane may. */
  drain(pack: Pack, now: number): void {
    const id = this.o.queue.takeHead(pack, now, (head) => this.o.live.has(head));
    const live = id ? this.o.live.get(id) : undefined;
    if (!live) return;
    this.o.run(this.submit(live).finally(() => this.o.queue.done(pack)));
  }

  async submit(live: LiveTask): Promise<void> {
    const { rec } = live;
    const { queue } = this.o;
    // Newcomers wait behind the queue instead of overtaking it.
    if (rec.state === 'pending' && queue.nonEmpty(rec.request.kind) && !live.lookupFirst) return this.toQueued(live);
    live.busy = true;
    let repeat = live.createSent;
    try {
      let task: KlingTask | undefined;
      if (live.lookupFirst) task = await this.lookup(rec);
      if (!task) {
        const clearance = await this.o.clearCreate(live);
        if (clearance === 'skip') return;
        if (clearance === 'lookup') task = await this.lookup(rec);
      }
      if (!task) {
        repeat = live.createSent;
        live.createSent = true;
        task = await this.o.sem.run(() => this.o.kling.create(rec.request, rec.id, this.o.callbackUrl, rec.standard));
      }
      live.lookupFirst = false;
      queue.leaveHead(rec.request.kind, rec.id);
      queue.accepted(rec.request.kind);
      await this.o.answered(live, task);
      this.o.queueMoved(packOf(rec.request.kind));
    } catch (err) {
      await this.failed(live, err, repeat);
    } finally {
      live.busy = false;
    }
  }

  /** A task that may already exist at Kling under our id (its external_task_id). */
  private async lookup(rec: TaskRecord): Promise<KlingTask | undefined> {
    try {
      return await this.o.sem.run(() =>
        this.o.kling.get(rec.request.kind, rec.id, { standard: rec.standard, external: true }),
      );
    } catch (err) {
      if (err instanceof KlingError && err.kind === 'not_found') return undefined;
      throw err;
    }
  }

  private async toQueued(live: LiveTask): Promise<void> {
    this.o.queue.push(live.rec.request.kind, live.rec.id);
    const now = this.o.now();
    if (live.rec.state !== 'queued')
      await this.o.save(live, { ...live.rec, state: 'queued', queuedAt: now, updatedAt: now });
    this.o.queueMoved(packOf(live.rec.request.kind));
  }

  /** `repeat`: an earlier create for this task may have reached Kling. */
  private async failed(live: LiveTask, err: unknown, repeat: boolean): Promise<void> {
    const { queue } = this.o;
    const { kind } = live.rec.request;
    const now = this.o.now();
    const decision = onSubmitError(live.rec, err, now, live.counters, this.o.timing);
    switch (decision.kind) {
      case 'queue':
        queue.refused(kind, decision.retryAfterMs, now);
        queue.insertByAge(kind, live.rec.id, live.rec.createdAt);
        return this.toQueued(live);
      case 'refused': {
        // Kling may refuse a repeated external_task_id instead of answering with the task it has
        // (undocumented): after an earlier create, look for that task before failing a paid one.
        const existing = repeat ? await this.lookup(live.rec).catch(() => undefined) : undefined;
        if (existing) {
          this.o.log.info({ taskId: live.rec.id }, 'Kling refused a repeated create; the first one is running');
          queue.leaveHead(kind, live.rec.id);
          queue.accepted(kind);
          await this.o.answered(live, existing);
          this.o.queueMoved(packOf(kind));
          return;
        }
        queue.leaveHead(kind, live.rec.id);
        await this.o.save(live, decision.rec);
        this.o.finish(live);
        this.o.queueMoved(packOf(kind));
        return;
      }
      case 'retry':
        // Transient (or our keys are being fixed): keep the task, say "delayed", try again later.
        live.counters = decision.counters;
        live.nextCheckAt = decision.nextCheckAt;
        if (decision.lookupFirst) live.lookupFirst = true;
        this.o.log.warn({ taskId: live.rec.id, err }, 'submit delayed');
        if (queue.isHead(kind, live.rec.id)) queue.holdUntil(kind, live.nextCheckAt);
        if (decision.rec) await this.o.save(live, decision.rec);
    }
  }
}
