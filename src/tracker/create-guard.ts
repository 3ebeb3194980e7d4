import { isFinal, type TaskRecord } from '../domain.js';
import type { Logger } from '../log.js';
import { sharedShape } from '../shared-shape.js';
import type { TaskStore } from '../store/task-store.js';
import type { TaskCards } from './cards.js';
import type { LiveTask, LiveTasks } from './live.js';
import type { SubmitQueue } from './submit-queue.js';

/**
 * The last step before a paid create (issue 16, findings 2 and 3). The tracker's copy of a record
 * may be stale: another replica answered the command and closed this record, a leader adopted it
 * twice, or a newer leader already sent it. So the record is read again from the store and, in the
 * same locked update, marked with the lease epoch that is about to send it. The create goes only if
 * the store still says nobody sent it (or only an older epoch, which a lookup by our id settles).
 */
export type Clearance =
  /** Nobody sent it: create. */
  | { kind: 'create' }
  /** An earlier leader (epoch) may have sent it: look it up by our id before any create. */
  | { kind: 'lookup' }
  /** Not to be created by us: `stored` is what the store says now (undefined: the record is gone). */
  | { kind: 'skip'; stored?: TaskRecord };

/** Whether a record as stored may still be created by the leader of `epoch`. */
export function mayCreate(rec: TaskRecord, epoch: number | undefined): boolean {
  if (rec.state !== 'pending' && rec.state !== 'queued') return false;
  if (rec.klingTaskId !== undefined || rec.deleted) return false;
  // Its card is not answered yet: created once it is (or abandoned, see unanswered.ts).
  if (rec.unanswered) return false;
  // A newer leader has claimed it: this one is stale, whatever it believes about its lease.
  return epoch === undefined || (rec.createEpoch ?? 0) <= epoch;
}

/** Re-reads the record and marks it as sent by `epoch` (no mark without a lease: one process, nobody else sends). */
export async function clearForCreate(
  store: Pick<TaskStore, 'update' | 'get'>,
  id: string,
  epoch: number | undefined,
): Promise<Clearance> {
  if (epoch === undefined) {
    const stored = await store.get(id);
    return stored && mayCreate(stored, epoch) ? { kind: 'create' } : { kind: 'skip', ...(stored ? { stored } : {}) };
  }
  let before: TaskRecord | undefined;
  const stored = await store.update(id, (cur) => {
    before = cur;
    return mayCreate(cur, epoch) ? { ...cur, createEpoch: epoch } : cur;
  });
  if (!stored || !before || !mayCreate(before, epoch)) return { kind: 'skip', ...(stored ? { stored } : {}) };
  const sentEarlier = before.createEpoch !== undefined && before.createEpoch !== epoch;
  return sentEarlier ? { kind: 'lookup' } : { kind: 'create' };
}

export interface CreateGuardDeps {
  store: Pick<TaskStore, 'update' | 'get'>;
  log: Logger;
  /**
   * The lease (leadership.ts), asked directly: `epoch` this replica leads in (undefined without a
   * lease), and whether it `leads` still and is not stopping.
   */
  lease: { readonly epoch: number | undefined; readonly leads: boolean };
  /** Takes the store's word for a task that is not ours to send. */
  follow: (live: LiveTask, stored: TaskRecord | undefined) => void;
}

/** The submitter's last check before a create: the store's clearance, then the lease once more. */
export function createGuard(o: CreateGuardDeps): (live: LiveTask) => Promise<Clearance['kind']> {
  return async (live) => {
    const clearance = await clearForCreate(o.store, live.rec.id, o.lease.epoch);
    if (clearance.kind === 'skip') {
      o.log.info({ taskId: live.rec.id, stored: clearance.stored?.state }, 'create not sent: not ours to send');
      o.follow(live, clearance.stored);
      return 'skip';
    }
    // Checked after the store round trip: a leader that lost its lease meanwhile sends nothing.
    return o.lease.leads ? clearance.kind : 'skip';
  };
}

export interface FollowDeps {
  live: LiveTasks;
  queue: SubmitQueue;
  cards: TaskCards;
  now: () => number;
  intervalMs: number;
  finish: (live: LiveTask) => void;
}

/** Follows what the store says of a task this replica was about to send (sent elsewhere, closed, gone). */
export function followStored(live: LiveTask, stored: TaskRecord | undefined, o: FollowDeps): void {
  if (!stored || stored.deleted) {
    o.cards.forget(live.rec);
    return o.finish(live);
  }
  live.rec = sharedShape(stored);
  if (stored.klingTaskId) o.live.knownAs(stored.id, stored.klingTaskId);
  if (stored.state !== 'pending' && stored.state !== 'queued') o.queue.leaveHead(stored.request.kind, stored.id);
  // Not answered yet: asked again soon (the answer's own track() asks at once).
  if (!isFinal(stored.state))
    live.nextCheckAt = o.now() + (stored.unanswered ? Math.min(o.intervalMs, 500) : o.intervalMs);
  else {
    if (!stored.finalShown) o.cards.show(live);
    o.finish(live);
  }
}
