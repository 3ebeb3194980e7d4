import Keyv from 'keyv';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { KlingClient } from '../src/kling/client.js';
import { silentLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { CardRecords } from '../src/outbox/card-records.js';
import { Outboxes } from '../src/outbox/outboxes.js';
import { keyvStorage, type Storage } from '../src/store/storage.js';
import { createTask } from '../src/store/task-store.js';
import { LEASE_TTL_MS } from '../src/tracker/leadership.js';
import { Tracker } from '../src/tracker/tracker.js';
import { AK, Cleanup, SK, startSim, waitFor } from './helpers/core-harness.js';
import { RecordingPort } from './helpers/core-port.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

/** Two replicas on one shared store (what Redis is in production; a shared keyv here). */
function replica(name: string, storage: Storage, simUrl: string, pollIntervalMs = 30, leaseTtlMs = 300) {
  const store = storage.tasks;
  const port = new RecordingPort();
  const metrics = new Metrics();
  const cards = new CardRecords(store, silentLogger);
  const outboxes = new Outboxes({
    log: silentLogger,
    metrics,
    now: Date.now,
    onPosted: cards.posted,
    onShown: cards.shown,
    onGone: cards.gone,
  });
  outboxes.addPort(port);
  const tracker = new Tracker({
    store,
    budgets: storage.budgets,
    kling: new KlingClient({ baseUrl: simUrl, auth: { type: 'jwt', accessKey: AK, secretKey: SK } }),
    outboxes,
    log: silentLogger,
    metrics,
    pollIntervalMs,
    lease: storage.trackerLease(name, leaseTtlMs),
  });
  return { name, port, tracker };
}

let n = 0;
async function accept({ tasks: store }: Storage, via: ReturnType<typeof replica>): Promise<TaskRecord> {
  const t = Date.now();
  const scope = { platform: 'console' as const, guildId: 'g', channelId: 'c', userId: 'u', userName: 'u' };
  const rec: TaskRecord = {
    id: `kblease${n++}`,
    scope,
    request: {
      kind: 'text2video',
      prompt: 'waves',
      model: 'kling-v1-6',
      mode: 'std',
      duration: '5',
      aspect_ratio: '16:9',
    },
    state: 'pending',
    createdAt: t,
    updatedAt: t,
  };
  await createTask(store, rec);
  rec.card = (await via.port.post(scope, { taskId: rec.id } as never)).value;
  await store.update(rec.id, (cur) => ({ ...cur, card: rec.card }));
  via.tracker.track(rec);
  return rec;
}

describe('tracker lease with several replicas on one store', () => {
  it('GIVEN two replicas THEN exactly one polls and edits, it adopts tasks the other accepted, and the other takes over when it stops', async () => {
    const sim = await startSim(cleanup);
    const store = keyvStorage(new Keyv());
    const a = replica('A', store, sim.url);
    const b = replica('B', store, sim.url);
    await a.tracker.start();
    await b.tracker.start();
    cleanup.add(() => b.tracker.stop());

    // Commands arrive at both replicas; only the lease holder (A, first) works on them.
    const first = [await accept(store, a), await accept(store, b), await accept(store, b)];
    for (const rec of first) await waitFor(`${rec.id} final`, () => a.port.lastView(rec.id)?.state === 'succeed', 5000);
    expect(b.port.events.filter((e) => e.type === 'edit')).toHaveLength(0);

    // A stops (releases the lease); B becomes the tracker for new work.
    await a.tracker.stop();
    await a.tracker.releaseLease();
    const later = await accept(store, a);
    await waitFor('B to finish the task A accepted', () => b.port.lastView(later.id)?.state === 'succeed', 5000);
    for (const rec of [...first, later]) expect(sim.createsFor(rec.id)).toBe(1);
  });

  it('GIVEN the leader dies with its tasks done at Kling THEN the survivor asks Kling about them as soon as it takes the lease, not one poll interval later', async () => {
    // A poll interval of 10 minutes: only a poll at takeover can end these cards within the wait.
    const TEN_MINUTES = 600_000;
    const sim = await startSim(cleanup);
    const store = keyvStorage(new Keyv());
    const a = replica('A', store, sim.url, TEN_MINUTES, LEASE_TTL_MS);
    const b = replica('B', store, sim.url, TEN_MINUTES, LEASE_TTL_MS);
    await a.tracker.start();
    await b.tracker.start();
    cleanup.add(() => b.tracker.stop());

    const recs = [await accept(store, a), await accept(store, b), await accept(store, a)];
    // Created at once by A (the leader); A asks again only 10 minutes later.
    await waitFor('every create', () => recs.every((r) => sim.createsFor(r.id) === 1), 5000);
    // A dies: it stops renewing and keeps its claim until the lease lapses.
    await a.tracker.stop();
    await waitFor(
      'B to show every task final',
      () => recs.every((r) => b.port.lastView(r.id)?.state === 'succeed'),
      10_000,
    );
    expect(recs.every((r) => a.port.lastView(r.id)?.state !== 'succeed')).toBe(true);
    for (const rec of recs) expect(sim.createsFor(rec.id)).toBe(1);
  });
});
