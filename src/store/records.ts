import { releaseOf, settle } from '../budget.js';
import { needsTracking, TaskRecord } from '../domain.js';
import { silentLogger, type Logger } from '../log.js';
import { COUNTER_TTL_MS, unitsChargeOf, unitsKeysOf, type AdmitCaps } from './budget-records.js';
import type { Collections } from './collections.js';
import { guard } from './guard.js';
import { dayCounter, deletedKey, indexKey, utcDay } from './keys.js';
import type { KeyedMutex } from './kv.js';
import type { TaskIndex, TaskStore } from './task-store.js';
import type { AdmitRefusal, UnitsStore } from './units-ledger.js';

const indexesOf = (r: TaskRecord): TaskIndex[] => {
  const { platform, guildId, channelId, userId } = r.scope;
  return [
    { platform, guildId, channelId },
    { platform, guildId, userId },
  ];
};

/**
 * The TaskStore both backends share: what a record means (its indexes, its in-flight mark, its
 * units settled once) over one backend's Collections, which keeps and serialises the data.
 */
export class Records implements TaskStore {
  readonly reads = { records: 0 };

  constructor(
    private readonly collections: Collections,
    private readonly units: Pick<UnitsStore, 'adjust'>,
    /** Per-key locks; across replicas on Redis. */
    private readonly mutex: KeyedMutex,
    private readonly log: Logger = silentLogger,
  ) {}

  exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.mutex.run(`x:${key}`, work);
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    return (await this.getMany([id]))[0];
  }

  async getMany(ids: readonly string[]): Promise<TaskRecord[]> {
    if (ids.length === 0) return [];
    const raw = await guard(ids.length === 1 ? 'read a task' : 'read tasks', () => this.collections.readRecords(ids));
    return raw.flatMap((value, i) => {
      const rec = this.parse(ids[i] ?? '?', value);
      return rec ? [rec] : [];
    });
  }

  allTaskIds(): Promise<string[]> {
    return guard('list every task', () => this.collections.recordIds());
  }

  admit(record: TaskRecord, caps: AdmitCaps = {}): Promise<AdmitRefusal | undefined> {
    const { scope } = record;
    return guard('save the task', () =>
      this.collections.admit({
        record,
        indexes: indexesOf(record).map(indexKey),
        inflight: needsTracking(record),
        counter: {
          key: dayCounter(scope.platform, scope.guildId, utcDay(record.createdAt)),
          cap: caps.guildDailyTasks ?? 0,
          ttlMs: COUNTER_TTL_MS,
        },
        units: unitsChargeOf(record, caps),
      }),
    );
  }

  update(id: string, change: (current: TaskRecord) => TaskRecord): Promise<TaskRecord | undefined> {
    return guard('update a task', () =>
      this.mutex.run(`t:${id}`, async () => {
        const current = await this.get(id);
        if (!current) return undefined;
        // A task that ends settles its units with what Kling charged (src/budget.ts), once.
        const { record: next, delta } = settle(current, change(current));
        await this.collections.writeRecord(next);
        if (delta !== 0) await this.units.adjust(unitsKeysOf(next), delta, COUNTER_TTL_MS);
        if (needsTracking(next) !== needsTracking(current)) await this.collections.setInflight(id, needsTracking(next));
        if (next.klingTaskId && next.klingTaskId !== current.klingTaskId)
          await this.collections.setKlingTarget(next.klingTaskId, id);
        // Deleted tasks stay in the indexes (appending is all they do); counting them keeps the totals right.
        if (next.deleted && !current.deleted)
          await Promise.all(indexesOf(current).map((index) => this.collections.increment(deletedKey(index))));
        return next;
      }),
    );
  }

  /**
   * Marks a record that lost a race released, once, under its lock (budget-records.ts gives its
   * slots back). Undefined when there is no such record or it was released already.
   */
  release(id: string): Promise<{ record: TaskRecord; delta: number } | undefined> {
    return guard('give back a task', () =>
      this.mutex.run(`t:${id}`, async () => {
        const current = await this.get(id);
        const out = current && releaseOf(current);
        if (out) await this.collections.writeRecord(out.record);
        return out;
      }),
    );
  }

  async idForKlingTask(klingTaskId: string): Promise<string | undefined> {
    const id = await guard('look up a Kling task', () => this.collections.klingTarget(klingTaskId));
    return typeof id === 'string' ? id : undefined;
  }

  inflightIds(): Promise<string[]> {
    return guard('read the tasks in flight', () => this.collections.inflightIds());
  }

  indexLength(index: TaskIndex): Promise<number> {
    return guard('read task history', () => this.collections.indexLength(indexKey(index)));
  }

  newest(index: TaskIndex, from: number, count: number): Promise<string[]> {
    return guard('read task history', () => this.collections.newest(indexKey(index), from, count));
  }

  deletedIn(index: TaskIndex): Promise<number> {
    return guard('read task history', () => this.collections.counter(deletedKey(index)));
  }

  private parse(id: string, value: unknown): TaskRecord | undefined {
    if (value === undefined || value === null) return undefined;
    this.reads.records++;
    const parsed = TaskRecord.safeParse(value);
    if (!parsed.success) {
      this.log.error({ taskId: id, issues: parsed.error.issues.length }, 'stored task record is unreadable; skipped');
      return undefined;
    }
    return parsed.data;
  }
}
