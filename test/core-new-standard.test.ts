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

  it('polls several tasks per GET /tasks, and asks for fewer when Kling refuses a batch as too large', async () => {
    const sim = await startSim(cleanup, {
      auth: { apiKey: API_KEY },
      batchMax: 2,
      timing: { submittedMs: 100, processingMs: 600, jitter: 0 },
    });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY });
    const ids = await Promise.all(
      Array.from({ length: 5 }, (_, i) => run(rig, 'video', `fox ${i}`).then((r) => r.taskId)),
    );
    await waitAllFinal(rig, ids, 20_000);
    const sizes = batchSizes(sim);
    // Several tasks per call, never past what Kling takes.
    expect(sizes.some((b) => b.status === 200)).toBe(true);
    expect(sizes.filter((b) => b.status === 200).every((b) => b.ids <= 2)).toBe(true);
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
