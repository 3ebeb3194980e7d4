/**
 * Store failures surface (issue 9 finding 1): a write or read that fails is an error with a
 * clear message, never "absent", and a task whose record cannot be written never reaches Kling.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { InteractionClosedError, StoreError } from '../src/errors.js';
import { pageOf, userActivity } from '../src/store/paging.js';
import { createTask, type TaskStore } from '../src/store/task-store.js';
import { Cleanup, makeCore, makeInv, makeIo, startSim, waitFor } from './helpers/core-harness.js';
import { flakyStore } from './helpers/flaky-store.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const VIDEO = {
  kind: 'text2video',
  prompt: 'a lighthouse at dusk',
  model: 'kling-v1',
  mode: 'std',
  duration: '5',
  aspect_ratio: '16:9',
} as const;

describe('submit when the store fails after the card is up', () => {
  it('GIVEN the write of the card handle fails THEN the user is not told the card was never posted, and the card still reaches its final state', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim);
    const store = rig.core.store;
    const update = store.update.bind(store);
    let failed = 0;
    store.update = async (id: string, change: (cur: TaskRecord) => TaskRecord) => {
      // The first write that stores a card handle fails, as a store outage would.
      const probe = await store.get(id);
      if (failed === 0 && probe && !probe.card && change(probe).card) {
        failed++;
        throw new Error('store write failed');
      }
      return update(id, change);
    };
    const inv = makeInv();
    const io = makeIo(rig.port, inv);
    const rec = await rig.core.services.tasks.submit(inv, io, VIDEO);
    expect(failed).toBe(1);
    expect(rec.card).toBeDefined();
    expect(io.privates).toEqual([]);
    await waitFor('the card to show the finished task', () => rig.port.lastView(rec.id)?.state === 'succeed');
    expect(sim.createsFor(rec.id)).toBe(1);
  });
});

describe('an interaction answered elsewhere while the store falters', () => {
  it('GIVEN the card answer is refused as closed AND the store fails the first two closing writes THEN the record still ends before Kling is asked, and no later start submits it', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim, {}, undefined, { start: false });
    const store = rig.core.store;
    const update = store.update.bind(store);
    let refused = 0;
    store.update = async (id: string, change: (cur: TaskRecord) => TaskRecord) => {
      const probe = await store.get(id);
      if (probe && change(probe).failureCode === 'not_acknowledged' && refused < 2) {
        refused++;
        throw new Error('store write failed');
      }
      return update(id, change);
    };
    const inv = makeInv();
    const io = {
      ...makeIo(rig.port, inv),
      card: {
        by: 'interaction' as const,
        handle: { channelId: 'c1', messageId: 'm1' },
        answer: async () => Promise.reject(new InteractionClosedError('interaction acknowledgement refused (40060)')),
      },
    };
    await expect(rig.core.services.tasks.submit(inv, io, VIDEO)).rejects.toBeInstanceOf(InteractionClosedError);
    expect(refused).toBe(2);
    const [id] = await store.inflightIds();
    expect(id, 'no record left in flight to resume').toBeUndefined();
    // A start after this (a restart) finds nothing to submit.
    await rig.core.tracker.start();
    expect(rig.core.tracker.liveCount()).toBe(0);
    expect(sim.calls.filter((c) => c.op === 'create')).toEqual([]);
  });
});

const scope = { platform: 'console' as const, guildId: 'g1', channelId: 'c1', userId: 'u1', userName: 'Ada' };
let n = 0;
const record = (over: Partial<TaskRecord> = {}): TaskRecord => {
  n++;
  return {
    id: `kbflaky${String(n).padStart(5, '0')}`,
    scope,
    request: { kind: 'image', prompt: `p${n}`, model: 'kling-v2', aspect_ratio: '1:1', n: 1 },
    state: 'succeed',
    createdAt: Date.UTC(2026, 10, 20, 12) + n,
    updatedAt: 0,
    ...over,
  };
};
const page = (store: TaskStore) =>
  pageOf(store, { platform: 'console', guildId: 'g1', channelId: 'c1', page: 1, pageSize: 10 });

describe('a store that fails reads and writes', () => {
  it('GIVEN a failed read THEN every read surfaces a StoreError, never "absent", "empty" or "zero"', async () => {
    const { storage, store, map } = flakyStore();
    const recs = [record(), record({ state: 'processing' }), record()];
    for (const r of recs) await createTask(store, r);
    map.faults.read = () => true;
    for (const read of [
      () => store.get(recs[0]?.id ?? ''),
      () => store.getMany(recs.map((r) => r.id)),
      () => page(store),
      () => store.inflightIds(),
      () => storage.counts.countOn('console', 'g1', '2026-11-20'),
      () => userActivity(store, 'console', 'g1', 'u1', 0, Date.UTC(2026, 10, 20, 13)),
      () => store.idForKlingTask('k1'),
    ]) {
      await expect(read()).rejects.toBeInstanceOf(StoreError);
    }
    // A read failing while a task is created does not reset the channel's index or the day's count.
    map.faults.read = (key) => key.includes(':n') || key.startsWith('kb:cnt:');
    await expect(createTask(store, record())).rejects.toBeInstanceOf(StoreError);
    map.faults.read = undefined;
    expect((await page(store)).items.map((r) => r.id)).toEqual([...recs].reverse().map((r) => r.id));
    expect(await storage.counts.countOn('console', 'g1', '2026-11-20')).toBe(3);
    expect(await store.inflightIds()).toEqual([recs[1]?.id]);
  });

  it('GIVEN a write that fails half-way through a create THEN nothing of it is left: no record, no count, nothing in flight to resume', async () => {
    const { storage, store, map } = flakyStore();
    const before = record();
    await createTask(store, before);
    for (const failing of ['kb:ch:', 'kb:us:', 'kb:if:', 'kb:t:']) {
      const rec = record({ state: 'pending' });
      map.faults.write = (key) => key.startsWith(failing);
      await expect(createTask(store, rec), failing).rejects.toBeInstanceOf(StoreError);
      map.faults.write = undefined;
      expect(await store.get(rec.id), failing).toBeUndefined();
      expect(await store.inflightIds(), failing).not.toContain(rec.id);
      expect(await storage.counts.countOn('console', 'g1', '2026-11-20'), failing).toBe(1);
      expect(
        (await page(store)).items.map((r) => r.id),
        failing,
      ).toEqual([before.id]);
      expect((await page(store)).total, failing).toBe(1);
    }
  });

  it('GIVEN the store refuses the record THEN the command is refused with a clear message and nothing reaches Kling', async () => {
    const sim = await startSim(cleanup);
    const { storage, store, map } = flakyStore();
    const rig = await makeCore(cleanup, sim, {}, undefined, { storage });
    map.faults.write = (key) => key.startsWith('kb:t:');
    const inv = makeInv();
    const io = makeIo(rig.port, inv);
    await rig.dispatcher.runCommand('image', { options: { prompt: 'a lighthouse' } }, inv, io);
    expect(io.privates).toHaveLength(1);
    expect(JSON.stringify(io.privates[0])).toMatch(/could not reach its storage.*nothing was charged/);
    expect(rig.port.events).toEqual([]);
    // Give a wrongly started create every chance to show up before saying none did.
    await rig.core.tracker.stop();
    expect(sim.tasks()).toEqual([]);
    map.faults.write = undefined;
    expect(await store.inflightIds()).toEqual([]);
  });
});
