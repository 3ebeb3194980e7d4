import type Keyv from 'keyv';
import { isFinal, needsTracking, TaskRecord, type Platform, type TaskState } from '../domain.js';
import { expectedUnitsOf } from '../kling/rules.js';
import { silentLogger, type Logger } from '../log.js';
import { KeyedMutex, openKeyv } from './kv.js';
import { KeyvLeaseBackend, Lease, RedisLeaseBackend } from './lease.js';
import { redisLock, redisOf } from './redis.js';

const CHUNK = 200;
/** Enough shards that each in-flight write stays small even with 10,000 tasks in flight. */
const INFLIGHT_SHARDS = 512;
const DAY_MS = 86_400_000;

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

export interface Page {
  items: TaskRecord[];
  total: number;
  page: number;
  pageCount: number;
}

const scopeKey = (platform: string, guildId: string) => `${platform}:${guildId}`;
const channelIndex = (r: Pick<PageQuery, 'platform' | 'guildId'>, channelId: string) => `ch:${scopeKey(r.platform, r.guildId)}:${channelId}`;
const userIndex = (r: Pick<PageQuery, 'platform' | 'guildId'>, userId: string) => `us:${scopeKey(r.platform, r.guildId)}:${userId}`;
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function shardOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return Math.abs(h) % INFLIGHT_SHARDS;
}

/**
 * Task records on keyv, keyed by our id, with append-only chunked indexes per
 * (platform, server, channel) and (platform, server, user) for newest-first pages, a sharded
 * in-flight set for resume, and per-day counters for limits. Records are parsed on every read:
 * a corrupt row is skipped and logged, never a crash.
 */
export class TaskStore {
  private readonly mutex: KeyedMutex;

  constructor(
    private readonly kv: Keyv,
    private readonly log: Logger = silentLogger,
  ) {
    // On Redis several replicas write the same indexes and records: their read-modify-writes take a lock there too.
    const redis = redisOf(kv);
    this.mutex = new KeyedMutex(redis ? redisLock(redis) : undefined);
  }

  /** Runs `work` alone for `key` (across replicas on Redis): e.g. a user's limit check and the task it admits. */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.mutex.run(`x:${key}`, work);
  }

  static async open(url: string, log?: Logger): Promise<TaskStore> {
    return new TaskStore(await openKeyv(url), log);
  }

  /** The tracker's claim (SPEC §4: with Redis, one replica polls and edits). */
  trackerLease(owner: string, ttlMs: number, now?: () => number): Lease {
    const redis = redisOf(this.kv);
    const backend = redis ? new RedisLeaseBackend(redis, 'kb:lease:tracker') : new KeyvLeaseBackend(this.kv, 'lease:tracker', now);
    return new Lease(backend, owner, ttlMs);
  }

  async close(): Promise<void> {
    await this.kv.disconnect();
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    return this.parse(id, await this.kv.get(`t:${id}`));
  }

  async getMany(ids: readonly string[]): Promise<TaskRecord[]> {
    if (ids.length === 0) return [];
    const raw = await this.kv.getMany(ids.map((id) => `t:${id}`));
    return raw.flatMap((value, i) => {
      const rec = this.parse(ids[i] ?? '?', value);
      return rec ? [rec] : [];
    });
  }

  /** Writes a new record and its indexes; done before Kling is ever called. */
  async create(record: TaskRecord): Promise<void> {
    await this.kv.set(`t:${record.id}`, record);
    const { scope } = record;
    await Promise.all([
      this.append(channelIndex(scope, scope.channelId), record.id),
      this.append(userIndex(scope, scope.userId), record.id),
      this.setInflight(record.id, needsTracking(record)),
      this.increment(`cnt:${scopeKey(scope.platform, scope.guildId)}:${utcDay(record.createdAt)}`),
    ]);
  }

  /** Read-modify-write under a per-task lock; keeps the in-flight set and Kling-id index in step. */
  async update(id: string, change: (current: TaskRecord) => TaskRecord): Promise<TaskRecord | undefined> {
    return this.mutex.run(`t:${id}`, async () => {
      const current = await this.get(id);
      if (!current) return undefined;
      const next = change(current);
      await this.kv.set(`t:${id}`, next);
      if (needsTracking(next) !== needsTracking(current)) await this.setInflight(id, needsTracking(next));
      if (next.klingTaskId && next.klingTaskId !== current.klingTaskId) await this.kv.set(`k:${next.klingTaskId}`, id);
      return next;
    });
  }

  async idForKlingTask(klingTaskId: string): Promise<string | undefined> {
    const id: unknown = await this.kv.get(`k:${klingTaskId}`);
    return typeof id === 'string' ? id : undefined;
  }

  /** Every unfinished task, and finished ones whose card has not shown it yet: what a restart resumes. */
  async inflightIds(): Promise<string[]> {
    const shards = await this.kv.getMany(Array.from({ length: INFLIGHT_SHARDS }, (_, i) => `if:${i}`));
    return shards.flatMap((s) => (Array.isArray(s) ? s.filter((x): x is string => typeof x === 'string') : []));
  }

  /** Newest-first page of one channel's or one user's tasks in one server, filtered. */
  async page(q: PageQuery): Promise<Page> {
    const index = q.userId !== undefined ? userIndex(q, q.userId) : channelIndex(q, q.channelId ?? '');
    const skip = (q.page - 1) * q.pageSize;
    const items: TaskRecord[] = [];
    let total = 0;
    for await (const rec of this.newestFirst(index)) {
      if (rec.deleted || rec.scope.guildId !== q.guildId || rec.scope.platform !== q.platform) continue;
      if (q.status && rec.state !== q.status) continue;
      if (q.since !== undefined && rec.createdAt < q.since) continue;
      if (q.until !== undefined && rec.createdAt > q.until) continue;
      if (total >= skip && items.length < q.pageSize) items.push(rec);
      total++;
    }
    return { items, total, page: q.page, pageCount: Math.max(1, Math.ceil(total / q.pageSize)) };
  }

  /**
   * A user's unfinished tasks and tasks created since `dayStart` (scans back at most a day), and
   * today's units: Kling's final figures, plus the table's estimate for tasks still running.
   */
  async userActivity(platform: Platform, guildId: string, userId: string, dayStart: number, now: number): Promise<{ active: number; today: number; unitsToday: number; unitsRunning: number }> {
    let active = 0;
    let today = 0;
    let unitsToday = 0;
    let unitsRunning = 0;
    for await (const rec of this.newestFirst(userIndex({ platform, guildId }, userId))) {
      if (rec.createdAt < Math.min(dayStart, now - DAY_MS)) break;
      if (!isFinal(rec.state)) active++;
      if (rec.createdAt < dayStart) continue;
      today++;
      const final = Number(rec.credits);
      if (rec.credits !== undefined && Number.isFinite(final)) unitsToday += final;
      else if (!isFinal(rec.state)) unitsRunning += expectedUnitsOf(rec.request) ?? 0;
    }
    const round = (n: number) => Math.round(n * 100) / 100;
    return { active, today, unitsToday: round(unitsToday), unitsRunning: round(unitsRunning) };
  }

  async guildCountOn(platform: Platform, guildId: string, day: string): Promise<number> {
    const n: unknown = await this.kv.get(`cnt:${scopeKey(platform, guildId)}:${day}`);
    return typeof n === 'number' ? n : 0;
  }

  private async *newestFirst(index: string): AsyncGenerator<TaskRecord> {
    const count = await this.indexCount(index);
    for (let chunk = Math.floor((count - 1) / CHUNK); chunk >= 0; chunk--) {
      const ids: unknown = await this.kv.get(`${index}:${chunk}`);
      if (!Array.isArray(ids)) continue;
      const records = await this.getMany(ids.filter((x): x is string => typeof x === 'string').reverse());
      yield* records;
    }
  }

  private async indexCount(index: string): Promise<number> {
    const n: unknown = await this.kv.get(`${index}:n`);
    return typeof n === 'number' ? n : 0;
  }

  private append(index: string, id: string): Promise<void> {
    return this.mutex.run(index, async () => {
      const count = await this.indexCount(index);
      const chunkKey = `${index}:${Math.floor(count / CHUNK)}`;
      const chunk: unknown = await this.kv.get(chunkKey);
      const ids = Array.isArray(chunk) ? chunk : [];
      ids.push(id);
      await this.kv.set(chunkKey, ids);
      await this.kv.set(`${index}:n`, count + 1);
    });
  }

  private setInflight(id: string, present: boolean): Promise<void> {
    const key = `if:${shardOf(id)}`;
    return this.mutex.run(key, async () => {
      const raw: unknown = await this.kv.get(key);
      const ids = new Set(Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : []);
      if (present === ids.has(id)) return;
      if (present) ids.add(id);
      else ids.delete(id);
      await this.kv.set(key, [...ids]);
    });
  }

  private increment(key: string): Promise<void> {
    return this.mutex.run(key, async () => {
      const n: unknown = await this.kv.get(key);
      await this.kv.set(key, (typeof n === 'number' ? n : 0) + 1, 3 * DAY_MS);
    });
  }

  private parse(id: string, value: unknown): TaskRecord | undefined {
    if (value === undefined || value === null) return undefined;
    const parsed = TaskRecord.safeParse(value);
    if (!parsed.success) {
      this.log.error({ taskId: id, issues: parsed.error.issues.length }, 'stored task record is unreadable; skipped');
      return undefined;
    }
    return parsed.data;
  }
}
