import type Keyv from 'keyv';
import { silentLogger, type Logger } from '../log.js';
import { budgetRecords, type BudgetRecords } from './budget-records.js';
import { KeyvDayCounts, RedisDayCounts, type DayCounts } from './day-counts.js';
import { guard } from './guard.js';
import { UNITS_LOCK } from './kv-admissions.js';
import { KeyvCollections } from './kv-collections.js';
import { KeyedMutex, openKeyv } from './kv.js';
import { KeyvLeaseBackend, Lease, RedisLeaseBackend } from './lease.js';
import { Records } from './records.js';
import { RedisCollections } from './redis-collections.js';
import { migrateRedisLayout } from './redis-migrate.js';
import { openRedis, redisLock, type RedisConnection } from './redis.js';
import { KeyvReplayCache, RedisReplayCache, type ReplayCache } from './replay-cache.js';
import type { TaskStore } from './task-store.js';
import { SqliteStore } from './sqlite-store.js';
import { KeyvUnits, RedisUnits, type UnitsStore } from './units-ledger.js';

/**
 * Everything the bot keeps, one small store per concern, over one backend chosen once from
 * STORE_URL: keyv on SQLite (default) or memory, or Redis for several replicas.
 */
export interface Storage {
  readonly tasks: TaskStore;
  /** Each server's tasks per UTC day (GUILD_MAX_DAILY_TASKS). */
  readonly counts: DayCounts;
  /** The day's unit budgets (src/budget.ts). */
  readonly units: UnitsStore;
  /** Slack's replay cache and the request claims. */
  readonly replay: ReplayCache;
  readonly budgets: BudgetRecords;
  /** Whether several replicas share this store (Redis): then one lease decides which of them tracks. */
  readonly shared: boolean;
  /** The tracker's claim (SPEC §4: with Redis, one replica polls and edits). */
  trackerLease(owner: string, ttlMs: number, now?: () => number): Lease;
  /** Is the store answering? (/healthz) */
  ping(): Promise<void>;
  /** The store's own upkeep (SQLite: expiry sweep, WAL checkpoint) waits for `quiet` first (the core's burst gate). */
  upkeepWhenQuiet(quiet: () => Promise<void>): void;
  close(): Promise<void>;
}

/** Opens the store STORE_URL names: sqlite:// (default), redis:// or rediss://, or memory://. */
export async function openStorage(url: string, log: Logger = silentLogger): Promise<Storage> {
  if (/^rediss?:\/\//.test(url)) return redisStorage(await openRedis(url, log), log);
  return keyvStorage(openKeyv(url), log);
}

/** Guards each counter read so a failing store is a StoreError naming what could not be done. */
function guarded(counts: DayCounts, units: UnitsStore, replay: ReplayCache) {
  return {
    counts: {
      countOn: (...a) => guard("read the server's count", () => counts.countOn(...a)),
      giveBack: (...a) => counts.giveBack(...a),
    } satisfies DayCounts,
    units: {
      on: (...a) => guard('read the units used', () => units.on(...a)),
      adjust: (...a) => units.adjust(...a),
    } satisfies UnitsStore,
    replay: {
      firstSighting: (...a) => guard('check for a replay', () => replay.firstSighting(...a)),
    } satisfies ReplayCache,
  };
}

/** keyv (SQLite or memory; one process, or several sharing a test's keyv): in-process locks. */
export function keyvStorage(kv: Keyv, log: Logger = silentLogger): Storage {
  // A keyv handed in (tests) throws its errors too, instead of answering "absent" and `false`.
  kv.throwOnErrors = true;
  const mutex = new KeyedMutex();
  const counts = new KeyvDayCounts(kv, mutex);
  const units = new KeyvUnits(kv, (work) => mutex.run(UNITS_LOCK, work));
  const records = new Records(new KeyvCollections(kv, mutex), units, mutex, log);
  return {
    tasks: records,
    ...guarded(counts, units, new KeyvReplayCache(kv, mutex)),
    budgets: budgetRecords(records, counts, units),
    shared: false,
    trackerLease: (owner, ttlMs, now) => new Lease(new KeyvLeaseBackend(kv, 'lease:tracker', now), owner, ttlMs),
    ping: () => guard('ping', () => kv.get('health:ping')).then(() => undefined),
    upkeepWhenQuiet: (quiet) => {
      if (kv.store instanceof SqliteStore) kv.store.upkeepWhenQuiet(quiet);
    },
    close: () => kv.disconnect(),
  };
}

/** Redis (several replicas): native lists, sets and counters, scripts for what must be atomic, locks in Redis. */
export async function redisStorage(redis: RedisConnection, log: Logger = silentLogger): Promise<Storage> {
  // A Redis written by an earlier version: its JSON-array indexes move to native lists first.
  await guard('move the Redis data to the current layout', () => migrateRedisLayout(redis.client));
  const prefix = 'kb:';
  // Several replicas update the same records: an update takes a lock in Redis too.
  const mutex = new KeyedMutex(redisLock(redis.client));
  const counts = new RedisDayCounts(redis.client, prefix);
  const units = new RedisUnits(redis.client, prefix);
  const records = new Records(new RedisCollections(redis.client, prefix), units, mutex, log);
  return {
    tasks: records,
    ...guarded(counts, units, new RedisReplayCache(redis.client, prefix)),
    budgets: budgetRecords(records, counts, units),
    shared: true,
    trackerLease: (owner, ttlMs) => new Lease(new RedisLeaseBackend(redis.client, 'kb:lease:tracker'), owner, ttlMs),
    ping: () => guard('ping', () => redis.ping()),
    // Redis keeps itself.
    upkeepWhenQuiet: () => undefined,
    close: () => redis.close(),
  };
}
