import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { GenerationRequest, TaskRecord } from '../src/domain.js';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import type { CardView } from '../src/render/view.js';
import {
  API_KEY,
  Cleanup,
  expectOneCreateEach,
  makeCore,
  makeInv,
  makeIo,
  sleep,
  startSim,
  waitAllFinal,
  waitFor,
  type CoreRig,
} from './helpers/core-harness.js';
import { channelKey, RecordingPort } from './helpers/core-port.js';
import { JumpingClock } from './helpers/jumping-clock.js';

const cleanup = new Cleanup();
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  await cleanup.closeAll();
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

const VIDEO: Extract<GenerationRequest, { kind: 'text2video' }> = {
  kind: 'text2video',
  prompt: 'a fox in the snow',
  model: 'kling-v1',
  mode: 'std',
  duration: '5',
  aspect_ratio: '16:9',
};
const STATE_ORDER = ['pending', 'queued', 'submitted', 'processing', 'succeed', 'failed'] as const;
/** Kling's submitted and processing phases last ten minutes each: a test moves its clock on (JWTs live 30). */
const STAGE_MS = 600_000;
const STEPPED = { timing: { submittedMs: STAGE_MS, processingMs: STAGE_MS, jitter: 0 } };

const bodyOf = (sim: KlingSimulator, ext: string) =>
  z
    .record(z.string(), z.unknown())
    .parse(
      sim.calls.find(
        (c) =>
          c.op === 'create' &&
          z.object({ external_task_id: z.string() }).safeParse(c.body).data?.external_task_id === ext,
      )?.body,
    );

async function submitN(
  rig: CoreRig,
  n: number,
  over: { channelId?: string; prompt?: (i: number) => string; together?: boolean } = {},
): Promise<TaskRecord[]> {
  const one = (i: number) => {
    const inv = makeInv({ channelId: over.channelId ?? 'c1', userId: `u${i}` });
    return rig.core.services.tasks.submit(inv, makeIo(rig.port, inv), {
      ...VIDEO,
      prompt: over.prompt?.(i) ?? `task ${i}`,
    });
  };
  if (over.together) return Promise.all(Array.from({ length: n }, (_, i) => one(i)));
  const out: TaskRecord[] = [];
  for (let i = 0; i < n; i++) out.push(await one(i));
  return out;
}

/** States a card went through never go backwards. */
function expectForwardOnly(views: readonly CardView[]): void {
  const ranks = views.map((v) => STATE_ORDER.indexOf(v.state));
  expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
}

describe('tracker: a task from command to video', () => {
  it('/video goes pending → submitted → processing → succeed; the last card shows the URL', async () => {
    // Kling's clock moves only when the test says: each state lasts until the card has shown it, so no
    // state can pass between two polls on a slow machine.
    let skewMs = 0;
    const sim = await startSim(cleanup, { ...STEPPED, now: () => Date.now() + skewMs });
    const rig = await makeCore(cleanup, sim);
    const sigs: Array<string | undefined> = [];
    const update = rig.core.store.update.bind(rig.core.store);
    vi.spyOn(rig.core.store, 'update').mockImplementation(async (id, change) => {
      const saved = await update(id, change);
      if (saved && saved.cardSig !== sigs.at(-1)) sigs.push(saved.cardSig);
      return saved;
    });
    const inv = makeInv();
    const io = makeIo(rig.port, inv);
    await rig.dispatcher.runCommand('video', 'a fox --ar 9:16 --mode pro', inv, io);
    expect(io.privates).toEqual([]);
    const [posted] = rig.port.events;
    expect(posted).toMatchObject({ type: 'post', view: { state: 'pending' } });
    const id = posted?.taskId ?? '';
    await waitFor('the submitted card', () => rig.port.lastView(id)?.state === 'submitted');
    skewMs += STAGE_MS;
    await waitFor('the processing card', () => rig.port.lastView(id)?.state === 'processing');
    skewMs += STAGE_MS;
    await waitAllFinal(rig, [id]);

    const views = rig.port.viewsFor(id);
    expect(views.map((v) => v.state)).toEqual(['pending', 'submitted', 'processing', 'succeed']);
    const rec = await rig.core.store.get(id);
    const last = rig.port.lastView(id);
    expect(last?.media[0]?.url).toBe(`${sim.origin}/media/${rec?.klingTaskId}.mp4`);
    expect(last?.fields).toContainEqual({ label: 'Credits', value: '2 units' });
    expect(rec).toMatchObject({ state: 'succeed', request: { aspect_ratio: '9:16', mode: 'pro' } });
    expect(bodyOf(sim, id)).toMatchObject({
      prompt: 'a fox',
      aspect_ratio: '9:16',
      mode: 'pro',
      duration: '5',
      external_task_id: id,
    });
    expectOneCreateEach(sim, [id]);
    expect(rig.core.tracker.liveCount()).toBe(0);
    // The final card's signature was persisted (not just the one set at submit), so a restart would
    // not repeat the last edit.
    const persisted = sigs.filter((sig) => sig !== undefined);
    expect(persisted.length).toBeGreaterThanOrEqual(2);
    expect(rec?.cardSig).toBe(persisted.at(-1));
    expect(rec?.cardSig).not.toBe(persisted[0]);
    expect(rec?.finalShown).toBe(true);
  });

  it('the create goes to Kling at once, not one poll interval later', async () => {
    const sim = await startSim(cleanup);
    // A poll interval of ten minutes: a create that waited for a tick would not come within the test.
    const rig = await makeCore(cleanup, sim, { POLL_INTERVAL_MS: '600000' });
    const [rec] = await submitN(rig, 1);
    await waitFor('the create at Kling', () => sim.createsFor(rec?.id ?? '') === 1, 10_000);
    await waitFor('the submitted card', () => rig.port.lastView(rec?.id ?? '')?.state === 'submitted', 10_000);
  });

  it('an image task and a cfg_scale of 0 on a v1 model reach Kling as asked', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim);
    const inv = makeInv();
    const io = makeIo(rig.port, inv);
    await rig.dispatcher.runCommand('video', 'a fox --cfg 0 --model kling-v1', inv, io);
    await rig.dispatcher.runCommand('image', 'a lighthouse --n 2 --ar 3:2', inv, io);
    const ids = [...new Set(rig.port.events.map((e) => e.taskId))];
    expect(ids).toHaveLength(2);
    await waitAllFinal(rig, ids);
    const [videoId = '', imageId = ''] = ids;
    expect(bodyOf(sim, videoId)).toMatchObject({ cfg_scale: 0, model_name: 'kling-v1' });
    expect(bodyOf(sim, imageId)).toMatchObject({ n: 2, aspect_ratio: '3:2', model_name: 'kling-v2-1' });
    expect(sim.calls.some((c) => c.op === 'get' && c.path.startsWith('/v1/images/generations/'))).toBe(true);
    expect(rig.port.lastView(imageId)?.media.map((m) => m.kind)).toEqual(['image', 'image']);
    expectOneCreateEach(sim, ids);
  });
});

describe('tracker: card edits', () => {
  it('coalesces: a slow port sees fewer edits than changes, latest state wins, the last is final', async () => {
    let skewMs = 0;
    const sim = await startSim(cleanup, {
      envelope: 'gateway',
      prefix: '/kling',
      auth: { apiKey: API_KEY },
      ...STEPPED,
      now: () => Date.now() + skewMs,
    });
    const port = new RecordingPort();
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY, POLL_INTERVAL_MS: '20' }, port);
    const saved: Array<{ state: string; progress?: number }> = [];
    const update = rig.core.store.update.bind(rig.core.store);
    vi.spyOn(rig.core.store, 'update').mockImplementation(async (id, change) => {
      const rec = await update(id, change);
      if (rec) saved.push({ state: rec.state, ...(rec.progress !== undefined ? { progress: rec.progress } : {}) });
      return rec;
    });
    const [rec] = await submitN(rig, 1);
    const id = rec?.id ?? '';
    await waitFor('the submitted card', () => rig.port.lastView(id)?.state === 'submitted');
    // The platform holds the next edit while the gateway's percentage moves nine times, each stored.
    const release = port.holdEdits();
    for (let step = 1; step <= 9; step++) {
      skewMs += step === 1 ? STAGE_MS : STAGE_MS / 10; // into processing (10%), then 9 points a step
      const percent = 10 + 9 * (step - 1);
      await waitFor(`${percent}% stored`, () => saved.some((s) => (s.progress ?? 0) >= percent));
    }
    release();
    skewMs += STAGE_MS;
    await waitAllFinal(rig, [id]);

    const changes = saved.filter(
      (s, i) => i === 0 || s.state !== saved[i - 1]?.state || s.progress !== saved[i - 1]?.progress,
    ).length;
    const edits = rig.port.editsFor(id);
    expect(changes).toBeGreaterThanOrEqual(10); // submitted, nine percentages, succeed
    expect(edits.length).toBeLessThan(changes);
    expect(edits.length).toBeLessThanOrEqual(4); // submitted, the one held, the latest while held, the final
    expect(edits.at(-1)?.view.state).toBe('succeed');
    expect(edits.at(-1)?.view.media[0]?.url).toMatch(/\/media\/\d+\.mp4$/);
    const percents = edits.map((e) => e.view.progress?.percent ?? 0);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expectForwardOnly(rig.port.viewsFor(id));
    expect(port.maxConcurrentPerChannel).toBe(1);
    expectOneCreateEach(sim, [id]);
  });

  it('keeps to the window the platform reports (2 per second) with 10 cards in one channel: no 429 earned, every card final', async () => {
    const sim = await startSim(cleanup);
    const port = new RecordingPort({ window: { limit: 2, windowMs: 1000 } });
    const rig = await makeCore(cleanup, sim, {}, port);
    const recs = await submitN(rig, 10, { together: true });
    const ids = recs.map((r) => r.id);
    await waitAllFinal(rig, ids, 20_000);
    const at = port.writesIn(channelKey(recs[0]?.scope ?? { platform: 'console', guildId: '', channelId: '' }));
    expect(at.length).toBeGreaterThanOrEqual(10);
    expect(port.unforced()).toEqual([]);
    // At most 2 writes in any 1 s window (the port's own fixed windows guarantee no more than 2 per window).
    for (let i = 0; i + 2 < at.length; i++)
      expect((at[i + 2] ?? 0) - (at[i] ?? 0), `writes ${i}..${i + 2}`).toBeGreaterThanOrEqual(1000 - 5);
    for (const id of ids) expect(port.lastView(id)?.state).toBe('succeed');
    expectOneCreateEach(sim, ids);
  });

  it('a platform 429 pauses that channel for retryAfter; other channels go on', async () => {
    const sim = await startSim(cleanup, { timing: { submittedMs: 30, processingMs: 120, jitter: 0 } });
    // The outboxes run on a clock the test jumps past the pause: A stays paused however slow the machine is,
    // and nobody waits the pause out in real time.
    const clock = new JumpingClock();
    const port = new RecordingPort({ now: clock.now });
    const rig = await makeCore(cleanup, sim, {}, port, { outboxClock: clock });
    const chanA = channelKey({ platform: 'console', guildId: 'g1', channelId: 'A' });
    const chanB = channelKey({ platform: 'console', guildId: 'g1', channelId: 'B' });
    const PAUSE_MS = 10 * 60_000;
    port.rateLimitNextEdit(PAUSE_MS, chanA);
    // Two cards in A: a pause of only the card that got the 429 would let the other one's edits through.
    const [a, a2] = await submitN(rig, 2, { channelId: 'A', together: true });
    const limit = await waitFor('the 429 in channel A', () => port.rateLimits[0]);
    // B starts only once A is paused, so its edits cannot all come before the pause.
    const [b] = await submitN(rig, 1, { channelId: 'B' });
    await waitAllFinal(rig, [b?.id ?? '']);
    // A's cards are final at Kling too, so only the pause holds their edits.
    await waitFor('A final in the store', async () => {
      const recs = await Promise.all([a, a2].map((t) => rig.core.store.get(t?.id ?? '')));
      return recs.every((r) => r?.state === 'succeed');
    });
    // B went from its first edit to its final one while A waited.
    expect(port.editsIn(chanB).filter((e) => e.at > limit.at).length).toBeGreaterThanOrEqual(2);
    expect(port.editsIn(chanA), 'A wrote during its pause').toEqual([]);
    clock.jump(PAUSE_MS);
    await waitAllFinal(rig, [a?.id ?? '', a2?.id ?? '']);
    expect(port.rateLimits).toHaveLength(1);
    expect(limit.channel).toBe(chanA);
    expect(new Set(port.editsIn(chanA).map((e) => e.taskId))).toEqual(new Set([a?.id, a2?.id]));
    for (const e of port.editsIn(chanA))
      expect(e.at, `edit of ${e.taskId}`).toBeGreaterThanOrEqual(limit.at + PAUSE_MS - 2);
    expect(port.lastView(a?.id ?? '')?.state).toBe('succeed');
    expect(port.lastView(a2?.id ?? '')?.state).toBe('succeed');
    expect(port.lastView(b?.id ?? '')?.state).toBe('succeed');
    expectOneCreateEach(sim, [a?.id ?? '', a2?.id ?? '', b?.id ?? '']);
  });
});

describe('tracker: adapter budgets', () => {
  it('an adapter holding an edit back pauses that channel as asked, and is not counted as a platform 429', async () => {
    const sim = await startSim(cleanup, { timing: { submittedMs: 30, processingMs: 120, jitter: 0 } });
    const port = new RecordingPort();
    const rig = await makeCore(cleanup, sim, {}, port);
    const chan = channelKey({ platform: 'console', guildId: 'g1', channelId: 'A' });
    port.rateLimitNextEdit(400, chan, 'budget');
    const [a] = await submitN(rig, 1, { channelId: 'A' });
    await waitAllFinal(rig, [a?.id ?? '']);
    const [held] = port.rateLimits;
    expect(port.rateLimits).toHaveLength(1);
    for (const e of port.editsIn(chan)) expect(e.at).toBeGreaterThanOrEqual((held?.at ?? 0) + 400 - 2);
    expect(port.lastView(a?.id ?? '')?.state).toBe('succeed');
    const counted = (await rig.core.metrics.rateLimited.get()).values.reduce((n, v) => n + v.value, 0);
    expect(counted).toBe(0);
  });
});

describe('tracker: provider polling', () => {
  it('with many tasks in flight one list call replaces per-task GETs (fewer calls per task)', async () => {
    // Each run lasts until Kling was asked six times (not for a wall-clock time a slow machine shortens).
    let skewMs = 0;
    const timing = { ...STEPPED, now: () => Date.now() + skewMs };
    const solo = await startSim(cleanup, timing);
    const soloRig = await makeCore(cleanup, solo);
    const [one] = await submitN(soloRig, 1);
    await waitFor('six looks at the task', () => solo.stats.gets + solo.stats.lists >= 6);
    skewMs += 2 * STAGE_MS;
    await waitAllFinal(soloRig, [one?.id ?? '']);
    const soloCalls = solo.stats.gets + solo.stats.lists;
    expect(solo.stats.lists).toBe(0);

    skewMs = 0;
    const crowd = await startSim(cleanup, timing);
    const crowdRig = await makeCore(cleanup, crowd);
    const recs = await submitN(crowdRig, 8, { together: true });
    await waitFor('six looks at the tasks', () => crowd.stats.lists >= 6);
    skewMs += 2 * STAGE_MS;
    await waitAllFinal(
      crowdRig,
      recs.map((r) => r.id),
    );
    expect(crowd.stats.lists).toBeGreaterThan(0);
    expect(crowd.stats.gets).toBeLessThan(8 * 2);
    expect((crowd.stats.gets + crowd.stats.lists) / 8).toBeLessThan(soloCalls / 2);
    expect(
      crowd.calls
        .filter((c) => c.op === 'list')
        .every((c) => /^\/v1\/videos\/text2video\?pageNum=1&pageSize=\d+$/.test(c.path)),
    ).toBe(true);
    expectOneCreateEach(
      crowd,
      recs.map((r) => r.id),
    );
  });

  it.each([
    ['in the order they were sent', false],
    ['out of order (the first refusal answers late)', true],
  ])(
    '1303: extra tasks wait in our queue with their place in line, %s, and all finish',
    async (_label, lateFirstRefusal) => {
      // Kling's clock stands still until both extra tasks were refused (1303), so the first cannot
      // finish and free its slot early however slow this machine is; then it runs on.
      let frozenAt: number | undefined = Date.now();
      const sim = await startSim(cleanup, { concurrency: { video: 1 }, now: () => frozenAt ?? Date.now() });
      const rig = await makeCore(cleanup, sim);
      const [first] = await submitN(rig, 1, { prompt: () => 'first' });
      await waitFor('the first task at Kling', () => sim.createsFor(first?.id ?? '') === 1);
      if (lateFirstRefusal) sim.faults.add({ kind: 'slow', times: 1, on: 'create', delayMs: 80 });
      const [second] = await submitN(rig, 1, { prompt: () => 'second' });
      const [third] = await submitN(rig, 1, { prompt: () => 'third' });
      const ids = [first?.id ?? '', second?.id ?? '', third?.id ?? ''];
      const lines = (id: string) => rig.port.viewsFor(id).map((v) => v.statusLine);
      await waitFor(
        'both extra tasks queued',
        () =>
          lines(ids[1] ?? '').includes('Queued · #1 in line') && lines(ids[2] ?? '').includes('Queued · #2 in line'),
      );
      frozenAt = undefined;
      await waitAllFinal(rig, ids);

      expect(lines(ids[1] ?? '')).toContain('Queued · #1 in line');
      expect(lines(ids[2] ?? '')).toContain('Queued · #2 in line');
      expect(lines(ids[1] ?? '')).not.toContain('Queued · #2 in line');
      expect(rig.port.viewsFor(ids[0] ?? '').map((v) => v.state)).not.toContain('queued');
      // First come, first served at Kling too.
      expect(sim.tasks().map((t) => t.externalTaskId)).toEqual(ids);
      for (const id of ids) expect(rig.port.lastView(id)?.state).toBe('succeed');
      for (const id of ids) expectForwardOnly(rig.port.viewsFor(id));
      expect(rig.core.tracker.queueLength()).toBe(0);
      expectOneCreateEach(sim, ids);
    },
  );

  it("1302 (Kling's rate limit) on the create: the card says it waits, the create is sent again after Retry-After, one task at Kling", async () => {
    const sim = await startSim(cleanup);
    // HTTP 429 with code 1302 and Retry-After: 1, as Kling answers a create sent too fast.
    sim.faults.add({ kind: 'http429', times: 1, on: 'create' });
    const rig = await makeCore(cleanup, sim);
    const [rec] = await submitN(rig, 1);
    const id = rec?.id ?? '';
    await waitFor('the waiting card', () => rig.port.viewsFor(id).some((v) => v.state === 'queued'));
    await waitAllFinal(rig, [id]);
    const views = rig.port.viewsFor(id);
    const waiting = views.find((v) => v.state === 'queued');
    expect(waiting?.notice).toMatch(/busy; this task starts as soon as a slot frees/);
    expect(views.at(-1)?.state).toBe('succeed');
    expectForwardOnly(views);
    const creates = sim.calls.filter((c) => c.op === 'create');
    expect(creates.map((c) => c.status)).toEqual([429, 200]);
    expect((creates[1]?.at ?? 0) - (creates[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000 - 5);
    expectOneCreateEach(sim, [id]);
    expect(sim.stats.creates).toBe(1);
    expect(rig.core.tracker.queueLength()).toBe(0);
  });

  it('provider trouble (500s, malformed bodies, slow answers) shows "Delayed", then the task completes', async () => {
    const sim = await startSim(cleanup, { timing: { submittedMs: 50, processingMs: 150, jitter: 0 } });
    const rig = await makeCore(cleanup, sim);
    const [rec] = await submitN(rig, 1);
    const id = rec?.id ?? '';
    await waitFor('the submitted card', () => rig.port.lastView(id)?.state === 'submitted');
    sim.faults.add({ kind: 'http500', times: 5, on: 'get' });
    sim.faults.add({ kind: 'malformed', times: 3, on: 'get' });
    sim.faults.add({ kind: 'http503', times: 2, on: 'get' });
    sim.faults.add({ kind: 'slow', times: 2, on: 'get', delayMs: 150 });
    await waitAllFinal(rig, [id]);
    const views = rig.port.viewsFor(id);
    const delayed = views.findIndex((v) => v.notice?.startsWith('Delayed') === true);
    expect(delayed).toBeGreaterThan(0);
    expect(views[delayed]?.tone).toBe('warning');
    const last = views.at(-1);
    expect(last?.state).toBe('succeed');
    expect(last?.notice).toBeUndefined();
    expect(sim.stats.errors).toBeGreaterThanOrEqual(10);
    expect((await rig.core.store.get(id))?.delayedSince).toBeUndefined();
    expectOneCreateEach(sim, [id]);
  });

  it('a task Kling reports failed (HTTP 200, code 0) ends as a failed card with a plain reason and Regenerate', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim);
    const [rec] = await submitN(rig, 1, { prompt: () => 'a fox sim:fail' });
    const id = rec?.id ?? '';
    await waitAllFinal(rig, [id]);
    const last = rig.port.lastView(id);
    expect(last?.state).toBe('failed');
    expect(last?.notice).toMatch(/^Kling's safety check blocked this result\./);
    expect(last?.notice).not.toContain('risk control system');
    expect(last?.buttons.map((b) => b.action)).toContain('regenerate');
    expect(await rig.core.store.get(id)).toMatchObject({
      state: 'failed',
      statusMsg: 'Failure to pass the risk control system',
    });
    expectOneCreateEach(sim, [id]);
  });

  it('a prompt refused at create (1301) fails the card at once; nothing is queued or created', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim);
    const [rec] = await submitN(rig, 1, { prompt: () => 'a fox sim:reject' });
    const id = rec?.id ?? '';
    await waitAllFinal(rig, [id]);
    const last = rig.port.lastView(id);
    expect(last?.state).toBe('failed');
    expect(last?.notice).toMatch(/content policy/);
    expect(last?.buttons.map((b) => b.action)).toContain('regenerate');
    expect(rig.port.viewsFor(id).map((v) => v.state)).not.toContain('queued');
    expect(rig.core.tracker.queueLength()).toBe(0);
    expect(sim.createsFor(id)).toBe(0);
    expect(sim.stats.creates).toBe(0);
    expect(sim.calls.filter((c) => c.op === 'create')).toHaveLength(1);
    await sleep(100);
    expect(sim.calls.filter((c) => c.op === 'create')).toHaveLength(1); // not retried
  });
});
