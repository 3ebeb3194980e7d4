import { isFinal, type TaskRecord } from '../domain.js';
import type { KlingClient } from '../kling/client.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { BurstGate } from '../burst-gate.js';
import type { Outboxes } from '../outbox/outboxes.js';
import type { Lease } from '../store/lease.js';
import type { BudgetRecords } from '../store/budget-records.js';
import type { TaskStore } from '../store/task-store.js';

/** How long a new record without a card handle is left to the replica that accepted it. */
export const YOUNG_MS = 30_000;

/**
 * With several replicas, a record still without a card handle (or whose card is not answered yet)
 * was just accepted by the replica that took the command, which is posting its card: left to it
 * for a while, so the leader never posts a second card for it. (Alone, a record without a handle
 * means a crash: adopted at once.)
 */
export const isYoung = (rec: TaskRecord, now: number): boolean =>
  (!rec.card || rec.unanswered === true) && !isFinal(rec.state) && now - rec.createdAt < YOUNG_MS;

export interface TrackerOptions {
  store: TaskStore;
  /** Gives back the slots of a record nobody was shown (unanswered.ts). */
  budgets: BudgetRecords;
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
  random?: () => number;
  /** With a shared store (Redis): only the replica holding this lease polls and edits. */
  lease?: Lease;
  /** The poll and the store reads wait while a burst of interactions is answered (bounded). */
  burst?: Pick<BurstGate, 'busy' | 'after'>;
}

/**
 * Stored tasks that need tracking and are not `held` here yet, oldest first; the leader runs this
 * on every lease renewal, so it reads only records it does not hold. A reshown task leaves the
 * in-flight set once its card shows the end: it is forgotten from `reshown` then (bounded).
 */
export async function recordsToResume(
  o: Pick<TrackerOptions, 'store' | 'lease'>,
  held: (id: string) => boolean,
  reshown: Set<string>,
  now: () => number,
): Promise<TaskRecord[]> {
  const inflight = await o.store.inflightIds();
  const still = new Set(inflight);
  for (const id of reshown) if (!still.has(id)) reshown.delete(id);
  const ids = inflight.filter((id) => !held(id) && !reshown.has(id));
  // Asked again after the await: a task tracked meanwhile (`track`) is held already and stays as it is.
  const records = (await o.store.getMany(ids)).filter((rec) => !held(rec.id) && !(o.lease && isYoung(rec, now())));
  return records.sort((a, b) => a.createdAt - b.createdAt);
}
