import { isFinal, type TaskRecord } from '../domain.js';
import { withoutCard } from '../outbox/card-records.js';
import type { BudgetRecords } from '../store/budget-records.js';
import type { TaskStore } from '../store/task-store.js';
import { YOUNG_MS } from './tracker-options.js';

/**
 * A Discord command's record is written (with its card's handle) before its card is sent as the
 * interaction's answer, and marked `unanswered` until then (issue 16, finding 10). Nothing may
 * create such a task: a crash between the record and the answer would otherwise leave a record the
 * next start submits (and pays for) with no card anyone saw, while Discord told the user that the
 * application did not respond. Such a record is abandoned instead, and gives its slots back.
 */

/**
 * Left behind for good: older than a live replica could still be answering it, or (one process,
 * no lease) written before this process started, so by one that crashed.
 */
export const isAbandoned = (rec: TaskRecord, now: number, startedAt: number, shared: boolean): boolean =>
  rec.unanswered === true &&
  !isFinal(rec.state) &&
  (now - rec.createdAt >= YOUNG_MS || (!shared && rec.createdAt < startedAt));

/**
 * Ends a record nobody was shown, before Kling is ever asked, and gives back its day's slots
 * (once: `budgets.release` marks the record). A record a create may have left for already (it
 * has a Kling id or a create epoch) is left as it is. True when the record is closed so.
 */
export async function abandonUnshown(
  store: { tasks: Pick<TaskStore, 'update'>; budgets: BudgetRecords },
  id: string,
  now: number,
): Promise<boolean> {
  const closed = await store.tasks.update(id, (cur) => {
    if (cur.failureCode === 'not_acknowledged') return cur;
    if (cur.klingTaskId !== undefined || cur.createEpoch !== undefined) return cur;
    if (cur.state !== 'pending' && cur.state !== 'queued') return cur;
    return {
      ...withoutCard(cur),
      state: 'failed',
      failureCode: 'not_acknowledged',
      finishedAt: now,
      updatedAt: now,
      deleted: true,
    };
  });
  if (closed?.failureCode !== 'not_acknowledged') return false;
  await store.budgets.release(id);
  return true;
}
