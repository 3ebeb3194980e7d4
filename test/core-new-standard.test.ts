/**
 * Kling's two API standards behind one client (issue 19), against the simulator, which speaks
 * both: routing per task, the new standard's paths, batch reads and billing, the legacy standard
 * for images with the same key, refusals that name the option or the credential, and a task that
 * keeps its standard across a restart with KLING_API changed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import {
  AK,
  API_KEY,
  Cleanup,
  makeCore,
  makeInv,
  makeIo,
  SK,
  sleep,
  startSim,
  waitAllFinal,
  type CoreRig,
} from './helpers/core-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

let users = 0;
async function run(rig: CoreRig, command: string, text: string) {
  const inv = makeInv({ userId: `u${users++}` });
  const io = makeIo(rig.port, inv);
  const posted = rig.port.events.length;
  await rig.dispatcher.runCommand(command, text, inv, io);
  const refusal = io.privates.find((p) => p.kind === 'notice' && p.tone === 'error');
  const taskId = rig.port.events.slice(posted).find((e) => e.type === 'post')?.taskId ?? '';
  return { refused: refusal?.kind === 'notice' ? refusal.text : undefined, taskId };
}

const creates = (sim: KlingSimulator) => sim.calls.filter((c) => c.op === 'create');
const batchSizes = (sim: KlingSimulator) =>
  sim.calls
    .filter((c) => c.path.startsWith('/tasks?'))
    .map((c) => ({ status: c.status, ids: decodeURIComponent(c.path).split('=')[1]?.split(',').length ?? 0 }));

describe('the new standard with an API key', () => {
  it('/video --model kling-3.0-turbo --duration 8: the new endpoint, settings.duration 8, the card final with what Kling charged', async () => {
    const sim = await startSim(cleanup, { auth: { apiKey: API_KEY } });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY });
    const { refused, taskId } = await run(rig, 'video', 'a comet over the sea --model kling-3.0-turbo --duration 8');
    expect(refused).toBeUndefined();
    await waitAllFinal(rig, [taskId], 20_000);
    const [create] = creates(sim);
    expect(create?.path).toBe('/text-to-video/kling-3.0-turbo');
    expect(create?.authorization).toBe(`Bearer ${API_KEY}`);
    expect(create?.body).toMatchObject({
      prompt: 'a comet over the sea',
      settings: { duration: 8, resolution: '720p', aspect_ratio: '16:9' },
      options: { external_task_id: taskId },
    });
    const rec = await rig.core.store.get(taskId);
    expect(rec).toMatchObject({ state: 'succeed', standard: 'new' });
    // The simulator's own price list: 0.8 units a second at 720p, 8 s.
    expect(rig.port.lastView(taskId)?.fields.find((f) => f.label === 'Credits')?.value).toBe('6.4 units');
    expect(rig.port.lastView(taskId)?.media[0]?.url).toMatch(/\/media\/\d+\.mp4$/);
    expect(sim.calls.some((c) => c.path.startsWith('/v1/'))).toBe(false);
  });

  it('polls its tasks together: several ids per GET /tasks, far fewer calls than one per task per check', async () => {
    const sim = await startSim(cleanup, {
      auth: { apiKey: API_KEY },
      timing: { submittedMs: 200, processingMs: 700, jitter: 0 },
    });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY, POLL_INTERVAL_MS: '200' });
    const ids: string[] = [];
    // Created 40 ms apart, so each task's own checks would fall due at different times.
    for (let i = 0; i < 6; i++) {
      ids.push((await run(rig, 'video', `fox ${i} --model kling-3.0-turbo`)).taskId);
      await sleep(40);
    }
    await waitAllFinal(rig, ids, 20_000);
    const reads = batchSizes(sim).filter((b) => b.status === 200);
    const asked = reads.reduce((sum, b) => sum + b.ids, 0);
    // From the simulator's request log: on average at least half the tasks in each call, and so at
    // most half as many calls as one GET per task per check would make.
    expect(reads.length).toBeGreaterThan(0);
    expect(asked / reads.length).toBeGreaterThanOrEqual(3);
    expect(reads.filter((b) => b.ids >= 2).length).toBeGreaterThan(reads.length / 2);
    expect(sim.calls.some((c) => c.path.startsWith('/v1/'))).toBe(false);
    for (const id of ids) expect(sim.createsFor(id)).toBe(1);
  });

  it('asks for fewer ids at a time once Kling refuses a batch as too large, and still finishes every task', async () => {
    const sim = await startSim(cleanup, {
      auth: { apiKey: API_KEY },
      batchMax: 2,
      timing: { submittedMs: 100, processingMs: 600, jitter: 0 },
    });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY });
    // The list would stand in for batches here: take it away, so batches carry every read.
    sim.faults.add({ kind: 'notfound', on: 'list', times: 1000 });
    const ids = await Promise.all(
      Array.from({ length: 5 }, (_, i) => run(rig, 'video', `fox ${i} --model kling-3.0-turbo`).then((r) => r.taskId)),
    );
    await waitAllFinal(rig, ids, 20_000);
    const sizes = batchSizes(sim);
    const refusals = sizes.filter((b) => b.status === 400);
    const lastRefusal = sizes.findLastIndex((b) => b.status === 400);
    // Halved once or twice (5 → 3 → 2, 3 → 2), each refusal bigger than Kling takes.
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    expect(refusals.length).toBeLessThanOrEqual(2);
    expect(refusals.every((b) => b.ids > 2)).toBe(true);
    const after = sizes.slice(lastRefusal + 1);
    // Remembered: nothing larger than Kling takes is sent again, and two ids still go together.
    expect(after.every((b) => b.status === 200 && b.ids <= 2)).toBe(true);
    expect(after.some((b) => b.ids === 2)).toBe(true);
    for (const id of ids) expect(sim.createsFor(id)).toBe(1);
  });

  it('past one batch, the sweep reads the task list (POST /tasks) instead of many GETs', async () => {
    const sim = await startSim(cleanup, {
      auth: { apiKey: API_KEY },
      batchMax: 2,
      timing: { submittedMs: 150, processingMs: 900, jitter: 0 },
    });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY });
    const ids = await Promise.all(
      Array.from({ length: 7 }, (_, i) => run(rig, 'video', `owl ${i} --model kling-3.0-turbo`).then((r) => r.taskId)),
    );
    await waitAllFinal(rig, ids, 20_000);
    const lists = sim.calls.filter((c) => c.method === 'POST' && c.path === '/tasks');
    expect(lists.length).toBeGreaterThan(0);
    expect(lists.every((c) => c.status === 200 && (c.body as { limit?: number }).limit === 500)).toBe(true);
    // Once the batch size fell to 2, seven tasks would take four GETs a check; the list takes one.
    const refused = sim.calls.findIndex((c) => c.path.startsWith('/tasks?') && c.status === 400);
    const gets = sim.calls.slice(refused + 1).filter((c) => c.path.startsWith('/tasks?')).length;
    expect(gets).toBeLessThan(lists.length);
    for (const id of ids) expect(sim.createsFor(id)).toBe(1);
  });

  it('negative_prompt or cfg_scale on a new-standard model: refused privately naming the option, zero Kling calls', async () => {
    const sim = await startSim(cleanup, { auth: { apiKey: API_KEY } });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY });
    const neg = await run(rig, 'video', 'a fox --model kling-3.0-turbo --neg blurry');
    expect(neg.refused).toMatch(
      /\*\*negative_prompt\*\*: kling-3.0-turbo runs on Kling's new API, which has no negative_prompt/,
    );
    const cfg = await run(rig, 'video', 'a fox --model kling-2.6 --cfg 0.5');
    expect(cfg.refused).toMatch(/cfg_scale/);
    expect(sim.calls).toEqual([]);
  });

  it('/image goes to the legacy endpoint with the same key', async () => {
    const sim = await startSim(cleanup, { auth: { apiKey: API_KEY } });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY });
    const { taskId } = await run(rig, 'image', 'a lighthouse --n 2');
    await waitAllFinal(rig, [taskId], 20_000);
    expect(creates(sim).map((c) => [c.path, c.authorization])).toEqual([
      ['/v1/images/generations', `Bearer ${API_KEY}`],
    ]);
    expect((await rig.core.store.get(taskId))?.standard).toBe('legacy');
  });

  it('a legacy-only model when Kling refuses the key there: the card says the account needs the access/secret pair; nothing in flight', async () => {
    const sim = await startSim(cleanup, { auth: { apiKey: API_KEY }, legacyTakesKey: false });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY });
    const { taskId } = await run(rig, 'video', 'a fox --model kling-v1-6');
    await waitAllFinal(rig, [taskId], 20_000);
    expect(rig.port.lastView(taskId)?.notice).toMatch(/KLING_ACCESS_KEY and KLING_SECRET_KEY/);
    expect(rig.core.tracker.liveCount()).toBe(0);
    expect(sim.stats.creates).toBe(0);
  });
});

describe('routing', () => {
  it('with both credentials: new-standard models on the key, legacy-only ones on the pair; KLING_API=legacy forces the pair', async () => {
    const sim = await startSim(cleanup, { auth: { apiKey: API_KEY, accessKey: AK, secretKey: SK } });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY, KLING_ACCESS_KEY: AK, KLING_SECRET_KEY: SK });
    const a = await run(rig, 'video', 'a fox --model kling-v2-5-turbo');
    const b = await run(rig, 'video', 'a fox --model kling-v1-6');
    await waitAllFinal(rig, [a.taskId, b.taskId], 20_000);
    const byTask = (id: string) => creates(sim).find((c) => JSON.stringify(c.body).includes(id));
    expect(byTask(a.taskId)?.path).toBe('/text-to-video/kling-2.5-turbo');
    expect(byTask(b.taskId)?.path).toBe('/v1/videos/text2video');
    expect(byTask(b.taskId)?.authorization).not.toBe(`Bearer ${API_KEY}`);
  });
});
