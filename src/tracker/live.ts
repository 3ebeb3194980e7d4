import type { TaskRecord } from '../domain.js';
import type { Counters } from './task-machine.js';

/** A task this replica is following, with what only memory needs (timers, error counts). */
export interface LiveTask {
  rec: TaskRecord;
  nextCheckAt: number;
  /** A call for it is in flight. */
  busy: boolean;
  counters: Counters;
  /** Resumed, or a create's answer was lost: look it up by our id before any create. */
  lookupFirst: boolean;
  /** A create may already have reached Kling (sent here, or by a process before a restart). */
  createSent: boolean;
  /** The estimated percent last rendered. */
  estimate?: number;
}

/** The tasks in flight here, by our id and by Kling's. */
export class LiveTasks {
  private readonly byId = new Map<string, LiveTask>();
  private readonly byKlingId = new Map<string, string>();

  add(rec: TaskRecord, opts: { nextCheckAt: number; lookupFirst: boolean }): LiveTask {
    const live: LiveTask = {
      rec,
      nextCheckAt: opts.nextCheckAt,
      busy: false,
      counters: { errors: 0, notFound: 0 },
      lookupFirst: opts.lookupFirst,
      createSent: opts.lookupFirst,
    };
    this.byId.set(rec.id, live);
    if (rec.klingTaskId) this.byKlingId.set(rec.klingTaskId, rec.id);
    return live;
  }

  get(id: string): LiveTask | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Kling gave the task its id. */
  knownAs(id: string, klingTaskId: string): void {
    this.byKlingId.set(klingTaskId, id);
  }

  byKling(klingTaskId: string): LiveTask | undefined {
    const id = this.byKlingId.get(klingTaskId);
    return id ? this.byId.get(id) : undefined;
  }

  remove(rec: TaskRecord): void {
    this.byId.delete(rec.id);
    if (rec.klingTaskId) this.byKlingId.delete(rec.klingTaskId);
  }

  values(): IterableIterator<LiveTask> {
    return this.byId.values();
  }

  /** Tracked tasks per state (for /metrics). */
  countByState(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { rec } of this.byId.values()) counts.set(rec.state, (counts.get(rec.state) ?? 0) + 1);
    return counts;
  }

  get size(): number {
    return this.byId.size;
  }

  clear(): void {
    this.byId.clear();
    this.byKlingId.clear();
  }
}
