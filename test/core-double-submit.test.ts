/**
 * One process on Redis (issue 16, finding 3): the tracker lease's renewal adopts every stored
 * record with a card handle, so it can adopt a new task between its admission and `track()`. The
 * task must still reach Kling once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationRequest } from '../src/domain.js';
import type { CommandIO } from '../src/invocation.js';
import { Cleanup, makeCore, makeInv, startSim, waitAllFinal, waitFor } from './helpers/core-harness.js';
import { startRedis, type RedisInstance } from './helpers/redis-instance.js';
import { redisAvailable } from './helpers/redis-server.js';

const HAS_REDIS = redisAvailable();
let redis: RedisInstance | undefined;
beforeAll(async () => {
  if (HAS_REDIS) redis = await startRedis();
});
afterAll(() => redis?.close());

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const VIDEO: GenerationRequest = {
  kind: 'text2video',
  prompt: 'a heron in the reeds',
  model: 'kling-v1',
  mode: 'std',
  duration: '5',
  aspect_ratio: '16:9',
};

describe.skipIf(!HAS_REDIS)('one process on Redis, a lease renewal between admit and track', () => {
  it('GIVEN a renewal adopts the new record between its answer and track() THEN one create at Kling', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim, { STORE_URL: `${redis?.url ?? ''}/3`, POLL_INTERVAL_MS: '30' });
    const { tracker, store } = rig.core;
    // The record says it was answered (card-records.ts `answered`, once the answer is `ready`); `track()` comes only
    // once a lease renewal has adopted the record so stored.
    const update = store.update.bind(store);
    let adoptedFirst = false;
    store.update = async (id, change) => {
      let answered = false;
      const stored = await update(id, (cur) => {
        const next = change(cur);
        answered ||= cur.unanswered === true && next.unanswered === undefined;
        return next;
      });
      if (answered) {
        await waitFor('the renewal to adopt the record', () => tracker.liveCount() > 0, 5000);
        adoptedFirst = true;
      }
      return stored;
    };
    const handle = (
      await rig.port.post({ platform: 'console', guildId: 'g1', channelId: 'c1', userId: 'u1', userName: 'u' }, {
        taskId: 'placeholder',
      } as never)
    ).value;
    const inv = makeInv();
    const io: CommandIO = {
      replyPrivate: async () => undefined,
      card: {
        by: 'interaction',
        handle,
        answer: async () => ({
          kind: 'shown',
          handle,
          ready: Promise.resolve(),
        }),
      },
    };
    const rec = await rig.core.services.tasks.submit(inv, io, VIDEO);
    await waitAllFinal(rig, [rec.id]);
    await rig.core.close();
    expect(adoptedFirst).toBe(true);
    expect(sim.createsFor(rec.id)).toBe(1);
    expect(sim.stats.creates).toBe(1);
    expect(sim.stats.duplicateCreates).toBe(0);
    expect(sim.calls.filter((c) => c.op === 'create')).toHaveLength(1);
  });
});
