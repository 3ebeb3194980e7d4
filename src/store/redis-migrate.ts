import { setTimeout as sleep } from 'node:timers/promises';
import { decodeEnvelope } from './record-codec.js';
import { RECORD_PREFIX } from './redis-collections.js';
import type { ScriptRunner } from './redis.js';

/**
 * Redis written by earlier versions kept indexes, the in-flight set and day counters as JSON
 * arrays and numbers in keyv keys. This moves them, once, into the native lists, set and
 * counters RedisCollections reads, so an upgrade loses no history, no running task (the
 * in-flight set is what a restart resumes) and no count. Each index moves in one script (its
 * new list is rebuilt from scratch), so a migration cut short simply runs again.
 */

const LAYOUT_KEY = 'kb:layout';
const LAYOUT = '2';
const LOCK_KEY = 'kb:lock:migrate';

const SCAN = `return redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', 500)`;
const GET = `return redis.call('GET', KEYS[1])`;
const LOCK = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;
const SET = `return redis.call('SET', KEYS[1], ARGV[1])`;
/** KEYS[1] = new list, KEYS[2..] = old keys to drop; ARGV = ids, oldest first. */
const MOVE_LIST = `redis.call('DEL', KEYS[1])
for i = 1, #ARGV, 1000 do redis.call('RPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
return #ARGV`;
/** KEYS[1] = set, KEYS[2] = old key; ARGV = ids. */
const MOVE_SET = `for i = 1, #ARGV, 1000 do redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
redis.call('DEL', KEYS[2])
return #ARGV`;
/** KEYS[1] = counter, KEYS[2] = old key; ARGV[1] = count, ARGV[2] = ms to live. */
const MOVE_COUNTER = `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1`;

const CHUNK = 200;
const strings = (raw: unknown): string[] =>
  Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];

async function scan(client: ScriptRunner, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const reply = await client.eval(SCAN, { keys: [], arguments: [cursor, pattern] });
    if (!Array.isArray(reply) || reply.length < 2) break;
    cursor = String(reply[0]);
    found.push(...strings(reply[1]));
  } while (cursor !== '0');
  return found;
}

/** Runs the migration if this Redis has not had it; several replicas starting at once run it once. */
export async function migrateRedisLayout(
  redis: () => Promise<ScriptRunner>,
  now: () => number = Date.now,
): Promise<void> {
  const client = await redis();
  /** A keyv key's value and expiry, as keyv wrote it (record-codec.ts). */
  const read = async (key: string) => {
    const text: unknown = await client.eval(GET, { keys: [prefix + key], arguments: [] });
    return typeof text === 'string' ? decodeEnvelope(text) : undefined;
  };
  const done = async () => String(await client.eval(GET, { keys: [LAYOUT_KEY], arguments: [] })) === LAYOUT;
  if (await done()) return;
  // One replica migrates; the others wait for its marker (or take over if it died holding the lock).
  for (;;) {
    if (Number(await client.eval(LOCK, { keys: [LOCK_KEY], arguments: [String(process.pid), '60000'] })) === 1) break;
    await sleep(200);
    if (await done()) return;
  }
  if (await done()) return;
  // keyv's own key names: `<namespace>::<key>`.
  const prefix = RECORD_PREFIX;
  const ourKey = (redisKey: string) => redisKey.slice(prefix.length);

  for (const redisKey of await scan(client, `${prefix}if:*`)) {
    const ids = strings((await read(ourKey(redisKey)))?.value);
    await client.eval(MOVE_SET, { keys: ['kb:inflight', redisKey], arguments: ids });
  }

  for (const redisKey of await scan(client, `${prefix}*:n`)) {
    const index = ourKey(redisKey).slice(0, -':n'.length);
    if (!/^(ch|us):/.test(index)) continue;
    const n: unknown = (await read(`${index}:n`))?.value;
    const count = typeof n === 'number' ? n : 0;
    const ids: string[] = [];
    const old: string[] = [redisKey];
    for (let c = 0; c * CHUNK < count; c++) {
      ids.push(...strings((await read(`${index}:${c}`))?.value));
      old.push(`${prefix}${index}:${c}`);
    }
    await client.eval(MOVE_LIST, { keys: [`kb:ix:${index}`, ...old], arguments: ids });
  }

  for (const redisKey of await scan(client, `${prefix}cnt:*`)) {
    const raw = await read(ourKey(redisKey));
    const value: unknown = raw?.value;
    const expires = raw?.expires;
    const ttl = typeof expires === 'number' ? expires - now() : 3 * 86_400_000;
    if (typeof value === 'number' && ttl > 0)
      await client.eval(MOVE_COUNTER, {
        keys: [`kb:${ourKey(redisKey)}`, redisKey],
        arguments: [String(value), String(Math.round(ttl))],
      });
  }

  await client.eval(SET, { keys: [LAYOUT_KEY], arguments: [LAYOUT] });
}
