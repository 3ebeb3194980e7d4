import type Keyv from 'keyv';
import type { Platform } from '../domain.js';
import { setOrThrow, type KeyedMutex } from './kv.js';
import { dayCounter } from './keys.js';
import type { ScriptRunner } from './redis.js';

/**
 * Each server's count of tasks per UTC day (GUILD_MAX_DAILY_TASKS). A new task is counted by its
 * admission, in the same step as its record (`TaskStore.admit`); this store reads the counts and
 * gives a slot back when a task lost a race. Counters expire (COUNTER_TTL_MS) once their day is past.
 */
export interface DayCounts {
  countOn(platform: Platform, guildId: string, day: string): Promise<number>;
  /** Takes one from a day counter (a released task's slot), never below zero. */
  giveBack(key: string, ttlMs: number): Promise<void>;
}

/** keyv (one process): a number per counter, each change under the counter's lock. */
export class KeyvDayCounts implements DayCounts {
  constructor(
    private readonly kv: Keyv,
    private readonly mutex: KeyedMutex,
  ) {}

  countOn(platform: Platform, guildId: string, day: string): Promise<number> {
    return this.count(dayCounter(platform, guildId, day));
  }

  giveBack(key: string, ttlMs: number): Promise<void> {
    return this.mutex.run(key, async () => {
      const n = await this.count(key);
      if (n > 0) await setOrThrow(this.kv, key, n - 1, ttlMs);
    });
  }

  private async count(key: string): Promise<number> {
    const n: unknown = await this.kv.get(key);
    return typeof n === 'number' ? n : 0;
  }
}

const GET = `return redis.call('GET', KEYS[1])`;
const DECR = `if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
return 1`;

/** Redis: a native counter per day (`kb:cnt:…`), counted up by the admission script (redis-collections.ts). */
export class RedisDayCounts implements DayCounts {
  constructor(
    private readonly redis: () => Promise<ScriptRunner>,
    private readonly prefix: string,
  ) {}

  async countOn(platform: Platform, guildId: string, day: string): Promise<number> {
    const raw = await (
      await this.redis()
    ).eval(GET, { keys: [`${this.prefix}${dayCounter(platform, guildId, day)}`], arguments: [] });
    const n = Number(raw ?? 0);
    return Number.isFinite(n) ? n : 0;
  }

  async giveBack(key: string): Promise<void> {
    await (await this.redis()).eval(DECR, { keys: [`${this.prefix}${key}`], arguments: [] });
  }
}
