/**
 * Issue 16: a record whose card was never answered (finding 10) and a record that lost the race
 * to answer (finding 2) are never sent to Kling, and give their day's slots back: the same user,
 * at a daily cap of one (and the server at one), can run their next command.
 */
import Keyv from 'keyv';
import { afterEach, describe, expect, it } from 'vitest';
import type { GenerationRequest } from '../src/domain.js';
import { InteractionClosedError } from '../src/errors.js';
import type { CommandIO } from '../src/invocation.js';
import { keyvStorage } from '../src/store/storage.js';
import { Cleanup, makeCore, makeInv, makeIo, startSim, waitAllFinal, waitFor } from './helpers/core-harness.js';
import { RecordingPort } from './helpers/core-port.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const VIDEO: GenerationRequest = {
  kind: 'text2video',
  prompt: 'a lighthouse in fog',
  model: 'kling-v1',
  mode: 'std',
  duration: '5',
  aspect_ratio: '16:9',
};
const ONE_A_DAY = { USER_MAX_DAILY_TASKS: '1', GUILD_MAX_DAILY_TASKS: '1' };

/** The command's answer as Discord gives it: the card is the interaction's own answer (`answer`
 * decides how that goes). */
function cardAnswerIo(port: RecordingPort, answer: () => Promise<never>): CommandIO {
  const handle = { card: 9000 + port.events.length };
  return { replyPrivate: async () => undefined, card: { by: 'interaction', handle, answer } };
}

describe('a record nobody was shown', () => {
  it('GIVEN a crash between the record and its answer THEN the next start abandons it: no create, and its slots are back', async () => {
    const sim = await startSim(cleanup);
    const storage = keyvStorage(new Keyv());
    const store = storage.tasks;
    const port = new RecordingPort();
    const before = await makeCore(cleanup, sim, ONE_A_DAY, port, { start: false, storage });
    const inv = makeInv({ userId: 'u-crash' });
    // The answer never goes out: the process dies right after the record was written.
    void before.core.services.tasks.submit(
      inv,
      cardAnswerIo(port, () => new Promise<never>(() => {})),
      VIDEO,
    );
    const [id] = await waitFor('the record written', async () => {
      const ids = await store.inflightIds();
      return ids.length === 1 && ids;
    });

    const after = await makeCore(cleanup, sim, ONE_A_DAY, new RecordingPort(), { storage });
    await waitFor('the record abandoned', async () => (await store.get(id ?? ''))?.failureCode === 'not_acknowledged');
    expect(await store.get(id ?? '')).toMatchObject({ state: 'failed', deleted: true });
    expect(sim.calls.filter((c) => c.op === 'create')).toEqual([]);

    // Its user's and its server's one task of the day were given back.
    const io = makeIo(after.port, inv);
    const next = await after.core.services.tasks.submit(inv, io, VIDEO);
    await waitAllFinal(after, [next.id]);
    expect(io.privates).toEqual([]);
    expect(sim.createsFor(next.id)).toBe(1);
    expect(sim.stats.creates).toBe(1);
  });

  it('GIVEN the answer is refused (another process answered, or too late) THEN the record ends unsent and its slots are back', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim, ONE_A_DAY);
    const inv = makeInv({ userId: 'u-lost' });
    const closed = cardAnswerIo(rig.port, () => Promise.reject(new InteractionClosedError('40060 in this test')));
    await expect(rig.core.services.tasks.submit(inv, closed, VIDEO)).rejects.toBeInstanceOf(InteractionClosedError);

    const io = makeIo(rig.port, inv);
    const next = await rig.core.services.tasks.submit(inv, io, VIDEO);
    await waitAllFinal(rig, [next.id]);
    expect(io.privates).toEqual([]);
    expect(sim.stats.creates).toBe(1);
    expect(sim.createsFor(next.id)).toBe(1);
  });
});
