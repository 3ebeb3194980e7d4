/**
 * Store failures surface (issue 9 finding 1): a write or read that fails is an error with a
 * clear message, never "absent", and a task whose record cannot be written never reaches Kling.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { Cleanup, makeCore, makeInv, makeIo, startSim, waitFor } from './helpers/core-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const VIDEO = { kind: 'text2video', prompt: 'a lighthouse at dusk', model: 'kling-v1', mode: 'std', duration: '5', aspect_ratio: '16:9' } as const;

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
