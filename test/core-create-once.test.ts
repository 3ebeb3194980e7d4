/**
 * A create is never re-sent blind (issue 9 finding 2): one whose answer was lost is looked up by
 * our id (Kling's external_task_id) before any new create, and both answers Kling may give to a
 * repeated external_task_id (the same task, or an error) end in one paid task and a final card.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GenerationRequest } from '../src/domain.js';
import { Cleanup, makeCore, makeInv, makeIo, startSim, waitAllFinal } from './helpers/core-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const VIDEO: GenerationRequest = {
  kind: 'text2video',
  prompt: 'a fox in the snow',
  model: 'kling-v1',
  mode: 'std',
  duration: '5',
  aspect_ratio: '16:9',
};

describe('a create whose answer is lost', () => {
  it.each(['same-task', 'refuse'] as const)(
    'GIVEN Kling answers a repeat with %s WHEN the create lands and then times out THEN one task at Kling and the card ends final',
    async (repeatCreate) => {
      const sim = await startSim(cleanup, { repeatCreate });
      const rig = await makeCore(cleanup, sim, {}, undefined, { klingTimeoutMs: 200 });
      // The create is made at Kling, but its answer comes after the client gave up.
      sim.faults.add({ kind: 'slow', times: 1, on: 'create', delayMs: 500 });
      const inv = makeInv();
      const rec = await rig.core.services.tasks.submit(inv, makeIo(rig.port, inv), VIDEO);
      await waitAllFinal(rig, [rec.id]);
      expect(sim.createsFor(rec.id)).toBe(1);
      expect(sim.stats.creates).toBe(1);
      // Looked up by our id instead of being sent again (the slow answer is recorded only once sent, so count repeats).
      expect(sim.stats.duplicateCreates).toBe(0);
      expect(sim.calls.some((c) => c.op === 'get' && c.path.endsWith(`/${rec.id}`))).toBe(true);
      expect((await rig.core.store.get(rec.id))?.state).toBe('succeed');
    },
  );

  it.each([
    ['answers with the task it has', 'same-task', 0],
    ['refuses the repeat with an error', 'refuse', 1],
  ] as const)(
    'GIVEN the lookup misses the task once WHEN Kling %s THEN the running task is kept (never failed, never paid twice)',
    async (_label, repeatCreate, refusals) => {
      const sim = await startSim(cleanup, { repeatCreate });
      const rig = await makeCore(cleanup, sim, {}, undefined, { klingTimeoutMs: 200 });
      sim.faults.add({ kind: 'slow', times: 1, on: 'create', delayMs: 500 });
      // Kling's read has not caught up with the create yet: the first lookup says "not found".
      sim.faults.add({ kind: 'notfound', times: 1, on: 'get' });
      const inv = makeInv();
      const rec = await rig.core.services.tasks.submit(inv, makeIo(rig.port, inv), VIDEO);
      await waitAllFinal(rig, [rec.id]);
      // The lookup missed, so the create went again: Kling saw one repeat, answered as configured.
      expect(sim.stats.duplicateCreates).toBe(1);
      expect(sim.calls.filter((c) => c.op === 'create' && c.status === 400)).toHaveLength(refusals);
      expect(sim.createsFor(rec.id)).toBe(1);
      expect(sim.stats.creates).toBe(1);
      const stored = await rig.core.store.get(rec.id);
      expect(stored?.state).toBe('succeed');
      expect(rig.port.lastView(rec.id)?.state).toBe('succeed');
    },
  );
});
