import type Keyv from 'keyv';
import { isFinal, needsTracking, TaskRecord, type Platform, type TaskState } from '../domain.js';
import { expectedUnitsOf } from '../kling/rules.js';
import { silentLogger, type Logger } from '../log.js';
import { StoreError } from '../errors.js';
import { KeyvCollections, readMany, setOrThrow, type Collections } from './collections.js';
import { KeyedMutex, openKeyv } from './kv.js';
import { KeyvLeaseBackend, Lease, RedisLeaseBackend } from './lease.js';
import { RedisCollections } from './redis-collections.js';
import { migrateRedisLayout } from './redis-migrate.js';
import { redisLock, redisOf } from './redis.js';
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
/** Records read per batch while paging: a page is small, so is each read. */
const PAGE_BATCH = 100;
/**
 * A filtered page reads at most this many records beyond what it shows: a filter that matches
 * little in a long history answers "more" instead of reading the whole history.
 */
const PAGE_SCAN_SLACK = 1000;
/**
 * However deep the page, one /tasks answer parses at most this many records: a deep page that a
 * filter or deleted tasks keep from being found by position says so instead (SQLite's driver is
 * synchronous, so a long read would stall everything, Discord's 3-second deadline included).
 */
export const MAX_PAGE_SCAN = 2000;
/** Index order is creation order give or take concurrent creates: stop at `since` only well past it. */
const SINCE_MARGIN_MS = 60_000;

export interface PageQuery {
  platform: Platform;
  guildId: string;
  /** Exactly one of channel or user picks the index. */
  channelId?: string;
  userId?: string;
  status?: TaskState;
  since?: number;
  until?: number;
  page: number;
  pageSize: number;
}

/**
 * One page. `total` and `pageCount` are known when the whole history behind the query was read
 * (it was short, or `since` cut it off); otherwise `hasMore` says whether a next page may exist.
 */
export interface Page {
  items: TaskRecord[];
  page: number;
  total?: number;
  pageCount?: number;
  /** Absent: a next page exists when `page < pageCount`. */
  hasMore?: boolean;
  /** Set when the page lies further back than one answer searches (this many records): narrow the query. */
  searchLimit?: number;
}

const scopeKey = (platform: string, guildId: string) => `${platform}:${guildId}`;
const channelIndex = (r: Pick<PageQuery, 'platform' | 'guildId'>, channelId: string) =>
  `ch:${scopeKey(r.platform, r.guildId)}:${channelId}`;
const userIndex = (r: Pick<PageQuery, 'platform' | 'guildId'>, userId: string) =>
  `us:${scopeKey(r.platform, r.guildId)}:${userId}`;
export { utcDay };
const dayCounter = (platform: string, guildId: string, day: string) => `cnt:${scopeKey(platform, guildId)}:${day}`;

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

  /** The tracker's claim (SPEC §4: with Redis, one replica polls and edits). */
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

  /**
   * Newest-first page of one channel's or one user's tasks in one server, filtered. Reads only
   * what the page needs (plus one, to know a next page exists), never the whole history: a
   * filtered page gives up after PAGE_SCAN_SLACK non-matching records and says "more".
   */
  async page(q: PageQuery): Promise<Page> {
    return guard('read task history', async () => {
      const index = q.userId !== undefined ? userIndex(q, q.userId) : channelIndex(q, q.channelId ?? '');
      const skip = (q.page - 1) * q.pageSize;
      const want = skip + q.pageSize + 1;
      const length = await this.collections.indexLength(index);
      const filtered = q.status !== undefined || q.since !== undefined || q.until !== undefined;
      const deleted = filtered ? 0 : await this.collections.counter(`del:${index}`);
      // Past the last entry nothing can match: answered without reading a record.
      if (skip >= length) {
        const total = filtered ? undefined : Math.max(0, length - deleted);
        if (total === undefined) return { items: [], page: q.page, hasMore: false };
        return {
          items: [],
          page: q.page,
          total,
          pageCount: Math.max(1, Math.ceil(total / q.pageSize)),
          hasMore: false,
        };
      }
      const items: TaskRecord[] = [];
      // Unfiltered with nothing deleted, every entry is shown: page p starts at its own position.
      let position = !filtered && deleted === 0 ? Math.min(skip, length) : 0;
      const budget = position + Math.min(want - position + PAGE_SCAN_SLACK, MAX_PAGE_SCAN);
      let matched = position;
      let exhausted = false;
      while (matched < want && !exhausted) {
        const count = Math.min(PAGE_BATCH, Math.max(want - matched, 1), budget - position, length - position);
        if (count <= 0) {
          exhausted = position >= length;
          break;
        }
        const ids = await this.collections.newest(index, position, count);
        position += count;
        for (const rec of await this.getMany(ids)) {
          if (q.since !== undefined && rec.createdAt < q.since - SINCE_MARGIN_MS) {
            exhausted = true;
            break;
          }
          if (!this.matches(rec, q)) continue;
          if (matched >= skip && items.length < q.pageSize) items.push(rec);
          matched++;
        }
        if (position >= length) exhausted = true;
      }
      // Stopped by the scan limit before the page began: say so rather than show an empty page.
      if (!exhausted && matched < skip) return { items, page: q.page, hasMore: false, searchLimit: budget };
      // Unfiltered, the index itself counts the tasks (less those deleted): exact at any depth.
      const total = exhausted ? matched : filtered ? undefined : Math.max(matched, length - deleted);
      if (total === undefined) return { items, page: q.page, hasMore: true };
      return {
        items,
        page: q.page,
        total,
        pageCount: Math.max(1, Math.ceil(total / q.pageSize)),
        hasMore: total > skip + q.pageSize,
      };
    });
  }

  private matches(rec: TaskRecord, q: PageQuery): boolean {
    if (rec.deleted || rec.scope.guildId !== q.guildId || rec.scope.platform !== q.platform) return false;
    if (q.status && rec.state !== q.status) return false;
    if (q.since !== undefined && rec.createdAt < q.since) return false;
    if (q.until !== undefined && rec.createdAt > q.until) return false;
    return true;
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
