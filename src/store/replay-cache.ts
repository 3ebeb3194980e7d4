import type Keyv from 'keyv';
import { setOrThrow, type KeyedMutex } from './kv.js';
import type { ScriptRunner } from './redis.js';

/**
 * Keys seen recently: Slack's replay cache (a signed request is taken once) and the request
 * claims (request-claims.ts: one paid task per command across replicas). Each key lives `ttlMs`.
 */
export interface ReplayCache {
  /** True the first time `key` is seen within `ttlMs` (across replicas on Redis), false after. */
  firstSighting(key: string, ttlMs: number): Promise<boolean>;
}

/** keyv (one process): the key holds when its sighting lapses, checked and written under its lock. */
export class KeyvReplayCache implements ReplayCache {
  constructor(
    private readonly kv: Keyv,
    private readonly mutex: KeyedMutex,
    private readonly now: () => number = Date.now,
  ) {}

  firstSighting(key: string, ttlMs: number): Promise<boolean> {
    return this.mutex.run(key, async () => {
      const until: unknown = await this.kv.get(key);
      if (typeof until === 'number' && until > this.now()) return false;
      await setOrThrow(this.kv, key, this.now() + ttlMs, ttlMs);
      return true;
    });
  }
}

const ONCE = `if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0`;

/** Redis: one SET NX PX per sighting (`kb:seen:<key>`), so two replicas can never both see it first. */
export class RedisReplayCache implements ReplayCache {
  constructor(
    private readonly redis: () => Promise<ScriptRunner>,
    private readonly prefix: string,
  ) {}

  async firstSighting(key: string, ttlMs: number): Promise<boolean> {
    const answer = await (
      await this.redis()
    ).eval(ONCE, { keys: [`${this.prefix}seen:${key}`], arguments: [String(Math.max(1, Math.round(ttlMs)))] });
    return Number(answer) === 1;
  }
}
