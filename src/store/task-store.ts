import type { TaskRecord } from '../domain.js';
import type { AdmitCaps } from './budget-records.js';
import type { TaskIndex } from './keys.js';
import type { AdmitRefusal } from './units-ledger.js';

export type { TaskIndex } from './keys.js';

/**
 * The task records as the core sees them: an interface (in the manner of vercel/chat's
 * `StateAdapter`, https://github.com/vercel/chat), implemented once over keyv (SQLite or memory)
 * and once over Redis (storage.ts picks one from STORE_URL). Paging, quotas, the replay cache and
 * the day counters are not here: paging.ts reads through this interface, and the counters are
 * small stores of their own (day-counts.ts, units-ledger.ts, replay-cache.ts).
 *
 * Records are parsed on every read: a corrupt one is skipped and logged, never a crash. A store
 * that fails is an error (StoreError), never "absent" or "zero".
 */
export interface TaskStore {
  /** Records parsed since start: what a page or a scan costs, for tests and the bench. */
  readonly reads: { records: number };
  get(id: string): Promise<TaskRecord | undefined>;
  /** The readable records among `ids`, in their order (absent and corrupt ones left out). */
  getMany(ids: readonly string[]): Promise<TaskRecord[]>;
  /**
   * Writes a new record with its index entries, in-flight mark, the server's day count and its
   * units (`record.budget`) in the day's budgets; done before Kling is ever called. The refusal,
   * with nothing written, when the server's daily task cap or a unit budget would be passed: the
   * checks and the counts are one step. Nothing is left half-written that could reach Kling.
   */
  admit(record: TaskRecord, caps?: AdmitCaps): Promise<AdmitRefusal | undefined>;
  /** Every task id in the store, in no order: a full walk, for `npm run rehost` only. */
  allTaskIds(): Promise<string[]>;
  /**
   * Read-modify-write under a per-task lock (across replicas on Redis); keeps the in-flight set,
   * the Kling-id index and the deleted counts in step, and settles a task's units once when it
   * ends (src/budget.ts). Undefined when there is no such record.
   */
  update(id: string, change: (current: TaskRecord) => TaskRecord): Promise<TaskRecord | undefined>;
  idForKlingTask(klingTaskId: string): Promise<string | undefined>;
  /** Every unfinished task, and finished ones whose card has not shown it yet: what a restart resumes. */
  inflightIds(): Promise<string[]>;
  /** Entries ever appended to an index, deleted tasks included (appending is all an index does). */
  indexLength(index: TaskIndex): Promise<number>;
  /** Up to `count` ids, newest first, starting `from` places back from the newest (0 = the newest). */
  newest(index: TaskIndex, from: number, count: number): Promise<string[]>;
  /** How many of an index's tasks were deleted since (they stay in the index). */
  deletedIn(index: TaskIndex): Promise<number>;
  /** Runs `work` alone for `key` (across replicas on Redis): e.g. a user's limit check and the task it admits. */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T>;
}

/** `admit` without budgets: true when written, false when the server's daily task cap refused it. */
export async function createTask(
  store: Pick<TaskStore, 'admit'>,
  record: TaskRecord,
  options: { guildDailyCap?: number } = {},
): Promise<boolean> {
  return (await store.admit(record, { guildDailyTasks: options.guildDailyCap ?? 0 })) === undefined;
}
