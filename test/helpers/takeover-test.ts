/**
 * The takeover test both platforms run (test/discord-takeover.test.ts, test/slack-takeover.test.ts): the
 * scenario of takeover-rigs.ts on a Redis of its own, judged against issue 16's goals. Apart from
 * takeover-rigs.ts because `npm run bench -- --only takeover` loads that file, and vitest cannot be imported
 * outside a test run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisInstance } from './redis-instance.js';
import { redisAvailable } from './redis-server.js';
import type { TakeoverOptions, TakeoverResult } from './takeover-rigs.js';

const TASKS = 12;
/**
 * Bounds that hold on a loaded machine (a landing's suite on two cores put the first final 1.66 s after the kill)
 * and still fail a takeover slower than the lease allows (a 10 s lease put it 9-11 s after). The goals themselves,
 * first <= 1.5 s and last <= 3 s at poll 500 ms, are timings: `npm run bench -- --only takeover` judges them, quiet.
 */
const FIRST_FINAL_BOUND_MS = 5000;
const LAST_FINAL_BOUND_MS = 8000;

export function takeoverTest(t: {
  /** The describe's and the test's names. */
  describe: string;
  it: string;
  /** Printed before the delays. */
  label: string;
  /** The Redis database the replicas share. */
  db: number;
  run: (o: TakeoverOptions) => Promise<TakeoverResult>;
}): void {
  const hasRedis = redisAvailable();
  let redis: RedisInstance | undefined;
  beforeAll(async () => {
    if (hasRedis) redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  describe.skipIf(!hasRedis)(t.describe, () => {
    it(t.it, async () => {
      const r = await t.run({ storeUrl: `${redis?.url ?? ''}/${t.db}`, pollIntervalMs: 500, tasks: TASKS });
      process.stdout.write(`${t.label}: kill to finals (ms): ${r.delays.join(', ')}\n`);
      expect(r.delays).toHaveLength(TASKS);
      expect(r.delays[0]).toBeLessThanOrEqual(FIRST_FINAL_BOUND_MS);
      expect(r.delays.at(-1)).toBeLessThanOrEqual(LAST_FINAL_BOUND_MS);
      expect(r.survivorLeads).toBe(true);
      expect(r.createsPerTask).toEqual(Array.from({ length: TASKS }, () => 1));
      expect(r.creates).toBe(TASKS);
      expect(r.duplicateCreates).toBe(0);
    });
  });
}
