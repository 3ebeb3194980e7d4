import type Keyv from 'keyv';
import { z } from 'zod';
import { RELEASE_IF_HELD, type ScriptRunner } from './redis.js';

/** Where a claim lives. */
export interface LeaseBackend {
  /**
   * Takes the claim for `ttlMs` if it is free, lapsed or already `owner`'s. Answers the claim's
   * epoch while `owner` holds it afterwards (it grows by one each time the claim changes hands,
   * and stays while one owner renews), 0 when another owner holds it.
   */
  claim(owner: string, ttlMs: number): Promise<number>;
  /** Gives the claim up if `owner` holds it. */
  release(owner: string): Promise<void>;
}

/** KEYS: the claim, its epoch counter. ARGV: owner, ttl ms. */
const CLAIM = `local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  local e = redis.call('GET', KEYS[2])
  if v == false or not e then e = redis.call('INCR', KEYS[2]) end
  return tonumber(e)
end
return 0`;

/**
 * Redis: each claim is one script, so two replicas can never both win, and the claim lapses by
 * Redis's own clock (replicas' clocks may disagree).
 */
export class RedisLeaseBackend implements LeaseBackend {
  constructor(
    private readonly redis: () => Promise<ScriptRunner>,
    private readonly key: string,
  ) {}

  async claim(owner: string, ttlMs: number): Promise<number> {
    const epoch = await (
      await this.redis()
    ).eval(CLAIM, {
      keys: [this.key, `${this.key}:epoch`],
      arguments: [owner, String(Math.max(1, Math.round(ttlMs)))],
    });
    return Number(epoch) || 0;
  }

  async release(owner: string): Promise<void> {
    await (await this.redis()).eval(RELEASE_IF_HELD, { keys: [this.key], arguments: [owner] });
  }
}

const LeaseValue = z.object({ owner: z.string(), until: z.number(), epoch: z.number().default(1) });

/**
 * Any other keyv store (one process on SQLite or memory, where nobody competes; and tests of
 * several replicas on one shared keyv). keyv has no compare-and-set, so a claim is written and
 * read back: of two racing writers the last one wins and the other sees it has lost.
 */
export class KeyvLeaseBackend implements LeaseBackend {
  constructor(
    private readonly kv: Keyv,
    private readonly key: string,
    private readonly now: () => number = Date.now,
  ) {}

  private async holder(): Promise<z.infer<typeof LeaseValue> | undefined> {
    const parsed = LeaseValue.safeParse(await this.kv.get(this.key));
    return parsed.success && parsed.data.until > this.now() ? parsed.data : undefined;
  }

  async claim(owner: string, ttlMs: number): Promise<number> {
    const current = await this.holder();
    if (current && current.owner !== owner) return 0;
    const epoch: unknown = await this.kv.get(`${this.key}:epoch`);
    const last = typeof epoch === 'number' ? epoch : 0;
    const next = current ? current.epoch : last + 1;
    if (next !== last) await this.kv.set(`${this.key}:epoch`, next);
    await this.kv.set(this.key, { owner, until: this.now() + ttlMs, epoch: next });
    const after = await this.holder();
    return after?.owner === owner ? after.epoch : 0;
  }

  async release(owner: string): Promise<void> {
    if ((await this.holder())?.owner === owner) await this.kv.delete(this.key);
  }
}

/**
 * A time-limited claim in the shared store, so that with several replicas on one Redis exactly
 * one polls Kling and edits cards. The holder renews well before expiry; a crashed holder's claim
 * lapses after `ttlMs`.
 */
export class Lease {
  /** The epoch of the last successful claim (0 before one): what fences a create (see tracker/create-guard.ts). */
  epoch = 0;

  constructor(
    private readonly backend: LeaseBackend,
    readonly owner: string,
    readonly ttlMs: number,
  ) {}

  /** Takes or renews the claim; false while another live owner holds it. */
  async acquire(): Promise<boolean> {
    const epoch = await this.backend.claim(this.owner, this.ttlMs);
    if (epoch > 0) this.epoch = epoch;
    return epoch > 0;
  }

  release(): Promise<void> {
    return this.backend.release(this.owner);
  }
}
