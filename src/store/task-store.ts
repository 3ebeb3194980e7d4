import type Keyv from 'keyv';
import { isFinal, needsTracking, TaskRecord, type Platform } from '../domain.js';
import { expectedUnitsOf } from '../kling/rules.js';
import { silentLogger, type Logger } from '../log.js';
import { StoreError } from '../errors.js';
import { KeyvCollections, readMany, setOrThrow, type Collections } from './collections.js';
import { KeyedMutex, openKeyv } from './kv.js';
import { KeyvLeaseBackend, Lease, RedisLeaseBackend } from './lease.js';
import { RedisCollections } from './redis-collections.js';
import { migrateRedisLayout } from './redis-migrate.js';
import { redisLock, redisOf } from './redis.js';
import { channelIndex, dayCounter, PAGE_BATCH, readPage, userIndex, type Page, type PageQuery } from './paging.js';
import { settle } from '../budget.js';
import {
  BudgetCounters,
  COUNTER_TTL_MS,
  unitsChargeOf,
  unitsKeysOf,
  utcDay,
  type AdmitCaps,
} from './budget-records.js';
import type { AdmitRefusal } from './units-ledger.js';

const DAY_MS = 86_400_000;
export type { Page, PageQuery } from './paging.js';

export { utcDay };

/** Runs a store operation; any failure becomes a StoreError naming what could not be done. */
async function guard<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(what, err);
  }
}

/**
 * Task records on keyv, keyed by our id, with newest-first indexes per (platform, server,
 * channel) and (platform, server, user), an in-flight set for resume and per-day counters for
 * limits (see collections.ts for how each backend keeps them). Records are parsed on every read:
 * a corrupt row is skipped and logged, never a crash. A store that fails is an error
 * (StoreError), never "absent" or "zero".
 */
export class TaskStore {
  private readonly mutex: KeyedMutex;
  private readonly collections: Collections;
  /** Records parsed since start: what a page or a scan costs, for tests and the bench. */
  readonly reads = { records: 0 };
  /** The day's unit budgets: read them, and give back a record that lost a race (budget-records.ts). */
  readonly budgets: BudgetCounters;

  constructor(
    private readonly kv: Keyv,
    private readonly log: Logger = silentLogger,
  ) {
    // Errors are thrown, not turned into "absent" and `false` (keyv's and @keyv/redis's default).
    kv.throwOnErrors = true;
    const adapter: unknown = kv.store;
    if (typeof adapter === 'object' && adapter !== null && 'throwOnErrors' in adapter)
      Object.assign(adapter, { throwOnErrors: true });
    const redis = redisOf(kv);
    // On Redis several replicas update the same records: an update takes a lock there too.
    this.mutex = new KeyedMutex(redis ? redisLock(redis) : undefined);
    this.collections = redis ? new RedisCollections(redis, kv) : new KeyvCollections(kv, this.mutex);
    this.budgets = new BudgetCounters({
      collections: this.collections,
      locked: (id, work) => this.mutex.run(`t:${id}`, work),
      get: (id) => this.get(id),
      getMany: (ids) => this.getMany(ids),
      put: (rec) => setOrThrow(this.kv, `t:${rec.id}`, rec),
      taskCounterOf: (rec) => dayCounter(rec.scope.platform, rec.scope.guildId, utcDay(rec.createdAt)),
      userIndexOf: (platform, guildId, userId) => userIndex({ platform, guildId }, userId),
      guard,
    });
  }

  /** Runs `work` alone for `key` (across replicas on Redis): e.g. a user's limit check and the task it admits. */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.mutex.run(`x:${key}`, work);
  }

  static async open(url: string, log?: Logger): Promise<TaskStore> {
    const kv = await openKeyv(url);
    // A Redis written by an earlier version: its JSON-array indexes move to native lists first.
    const redis = redisOf(kv);
    if (redis) await guard('move the Redis data to the current layout', () => migrateRedisLayout(redis, kv));
    return new TaskStore(kv, log);
  }

  /** The tracker's claim (README: with Redis, one replica polls and edits). */
  trackerLease(owner: string, ttlMs: number, now?: () => number): Lease {
    const redis = redisOf(this.kv);
    const backend = redis
      ? new RedisLeaseBackend(redis, 'kb:lease:tracker')
      : new KeyvLeaseBackend(this.kv, 'lease:tracker', now);
    return new Lease(backend, owner, ttlMs);
  }

  async close(): Promise<void> {
    await this.kv.disconnect();
  }

  /** Is the store answering? (/healthz) */
  async ping(): Promise<void> {
    await guard('ping', () => this.kv.get('health:ping'));
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    return this.parse(id, await guard('read a task', () => this.kv.get(`t:${id}`)));
  }

  async getMany(ids: readonly string[]): Promise<TaskRecord[]> {
    if (ids.length === 0) return [];
    const raw = await guard('read tasks', () =>
      readMany(
        this.kv,
        ids.map((id) => `t:${id}`),
      ),
    );
    return raw.flatMap((value, i) => {
      const rec = this.parse(ids[i] ?? '?', value);
      return rec ? [rec] : [];
    });
  }

  /** `admit` without budgets: true when written, false when the server's daily task cap refused it. */
  async create(record: TaskRecord, options: { guildDailyCap?: number } = {}): Promise<boolean> {
    return (await this.admit(record, { guildDailyTasks: options.guildDailyCap ?? 0 })) === undefined;
  }

  /**
   * Writes a new record with its index entries, in-flight mark, the server's day count and its
   * units (`record.budget`) in the day's budgets; done before Kling is ever called. The refusal,
   * with nothing written, when the server's daily task cap or a unit budget would be passed: the
   * checks and the counts are one step. Throws StoreError when the store fails; nothing is left
   * half-written that could reach Kling.
   */
  async admit(record: TaskRecord, caps: AdmitCaps = {}): Promise<AdmitRefusal | undefined> {
    const { scope } = record;
    return guard('save the task', () =>
      this.collections.admit({
        id: record.id,
        recordKey: `t:${record.id}`,
        record,
        indexes: [channelIndex(scope, scope.channelId), userIndex(scope, scope.userId)],
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

  /** Read-modify-write under a per-task lock; keeps the in-flight set and Kling-id index in step. */
  async update(id: string, change: (current: TaskRecord) => TaskRecord): Promise<TaskRecord | undefined> {
    return guard('update a task', () =>
      this.mutex.run(`t:${id}`, async () => {
        const current = await this.get(id);
        if (!current) return undefined;
        // A task that ends settles its units with what Kling charged (src/budget.ts), once.
        const { record: next, delta } = settle(current, change(current));
        await setOrThrow(this.kv, `t:${id}`, next);
        if (delta !== 0) await this.collections.adjustUnits(unitsKeysOf(next), delta, COUNTER_TTL_MS);
        if (needsTracking(next) !== needsTracking(current)) await this.collections.setInflight(id, needsTracking(next));
        if (next.klingTaskId && next.klingTaskId !== current.klingTaskId)
          await setOrThrow(this.kv, `k:${next.klingTaskId}`, id);
        // Deleted tasks stay in the indexes (appending is all they do); counting them keeps the totals right.
        if (next.deleted && !current.deleted) {
          const { scope } = current;
          await Promise.all(
            [channelIndex(scope, scope.channelId), userIndex(scope, scope.userId)].map((index) =>
              this.collections.increment(`del:${index}`),
            ),
          );
        }
        return next;
      }),
    );
  }

  async idForKlingTask(klingTaskId: string): Promise<string | undefined> {
    const id: unknown = await guard('look up a Kling task', () => this.kv.get(`k:${klingTaskId}`));
    return typeof id === 'string' ? id : undefined;
  }

  /** Every unfinished task, and finished ones whose card has not shown it yet: what a restart resumes. */
  inflightIds(): Promise<string[]> {
    return guard('read the tasks in flight', () => this.collections.inflightIds());
  }

  /** Newest-first page of one channel's or one user's tasks in one server, filtered (see paging.ts). */
  page(q: PageQuery): Promise<Page> {
    return guard('read task history', () =>
      readPage({ collections: this.collections, getMany: (ids) => this.getMany(ids) }, q),
    );
  }

  /**
   * A user's unfinished tasks and tasks created since `dayStart` (scans back at most a day), and
   * today's units: Kling's final figures, plus the table's estimate for tasks still running.
   */
  async userActivity(
    platform: Platform,
    guildId: string,
    userId: string,
    dayStart: number,
    now: number,
  ): Promise<{ active: number; today: number; unitsToday: number; unitsRunning: number }> {
    return guard('read your tasks', async () => {
      const index = userIndex({ platform, guildId }, userId);
      const cutoff = Math.min(dayStart, now - DAY_MS);
      let active = 0;
      let today = 0;
      let unitsToday = 0;
      let unitsRunning = 0;
      const round = (n: number) => Math.round(n * 100) / 100;
      const result = () => ({ active, today, unitsToday: round(unitsToday), unitsRunning: round(unitsRunning) });
      for (let position = 0; ; position += PAGE_BATCH) {
        const ids = await this.collections.newest(index, position, PAGE_BATCH);
        if (ids.length === 0) break;
        for (const rec of await this.getMany(ids)) {
          if (rec.createdAt < cutoff) return result();
          if (rec.budget?.released) continue; // lost a race: it gave its slots back (budget-records.ts)
          if (!isFinal(rec.state)) active++;
          if (rec.createdAt < dayStart) continue;
          today++;
          const final = Number(rec.credits);
          if (rec.credits !== undefined && Number.isFinite(final)) unitsToday += final;
          else if (!isFinal(rec.state)) unitsRunning += expectedUnitsOf(rec.request) ?? 0;
        }
        if (ids.length < PAGE_BATCH) break;
      }
      return result();
    });
  }

  guildCountOn(platform: Platform, guildId: string, day: string): Promise<number> {
    return guard("read the server's count", () => this.collections.counter(dayCounter(platform, guildId, day)));
  }

  /** True the first time `key` is seen within `ttlMs`, across replicas on Redis (Slack replay cache). */
  firstSighting(key: string, ttlMs: number): Promise<boolean> {
    return guard('check for a replay', () => this.collections.firstSighting(key, ttlMs));
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
