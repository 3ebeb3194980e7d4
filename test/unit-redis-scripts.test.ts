/**
 * Store scripts go to Redis by their SHA1 (EVALSHA), their text only when Redis does not hold them (src/store/redis.ts
 * `cachedScripts`): under a burst every store call is a script, and sending each one whole was work for both sides.
 */
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/log.js';
import { openRedis, type RedisConnection } from '../src/store/redis.js';
import { startRedis, type RedisInstance } from './helpers/redis-instance.js';

const SCRIPT = `return redis.call('INCR', KEYS[1])`;

let redis: RedisInstance;
let conn: RedisConnection;
let admin: ReturnType<typeof createClient>;

beforeAll(async () => {
  redis = await startRedis();
  conn = await openRedis(redis.url, silentLogger);
  admin = createClient({ url: redis.url });
  await admin.connect();
});
afterAll(async () => {
  await admin.close();
  await conn.close();
  await redis.close();
});

/** How many times Redis ran each command, from INFO commandstats. */
async function calls(command: 'eval' | 'evalsha'): Promise<number> {
  const info = await admin.info('commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe('Redis store scripts', () => {
  it('GIVEN a script run three times THEN its text is sent once and its hash after', async () => {
    const client = await conn.client();
    for (let i = 1; i <= 3; i++) expect(await client.eval(SCRIPT, { keys: ['kb:test:n'], arguments: [] })).toBe(i);
    expect(await calls('eval')).toBe(1);
    expect(await calls('evalsha')).toBe(3);
  });

  it('GIVEN Redis forgot its scripts (a restart, SCRIPT FLUSH) THEN the script is sent again and runs', async () => {
    const client = await conn.client();
    const evals = await calls('eval');
    await admin.scriptFlush();
    expect(await client.eval(SCRIPT, { keys: ['kb:test:m'], arguments: [] })).toBe(1);
    expect(await client.eval(SCRIPT, { keys: ['kb:test:m'], arguments: [] })).toBe(2);
    expect(await calls('eval')).toBe(evals + 1);
  });

  it('GIVEN a script that fails THEN its error is thrown as it is, not sent again', async () => {
    const client = await conn.client();
    const evals = await calls('eval');
    await expect(
      client.eval(`return redis.error_reply('BROKEN on purpose')`, { keys: [], arguments: [] }),
    ).rejects.toThrow('BROKEN on purpose');
    expect(await calls('eval')).toBe(evals + 1);
  });
});
