/**
 * Omni and storyboards on Kling's new standard (issue 20), through the dispatcher and the core
 * against the simulator, which checks `/omni-video/{model}` and multi-shot prompts by its own
 * rules: reference images as `refer_image` with their `@image_n` ids, an edit as `base_video`
 * (Kling's own URL), a storyboard as text-to-video with the shot syntax (omni-video for 3.0
 * Omni), 4k as `settings.resolution`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import { API_KEY, Cleanup, makeCore, runText, startSim, waitAllFinal, type CoreRig } from './helpers/core-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const A = 'https://example.com/refs/alice.png';
const B = 'https://example.com/refs/kitchen.jpg';

async function rig(): Promise<{ sim: KlingSimulator; rig: CoreRig }> {
  const sim = await startSim(cleanup, { auth: { apiKey: API_KEY } });
  return { sim, rig: await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY }) };
}

/** Runs a command that must make a task; waits for its final card; answers its create. */
async function made(r: { sim: KlingSimulator; rig: CoreRig }, command: string, text: string) {
  const { refused, taskId } = await runText(r.rig, command, text);
  expect(refused).toBeUndefined();
  await waitAllFinal(r.rig, [taskId], 20_000);
  expect(await r.rig.core.store.get(taskId)).toMatchObject({ state: 'succeed', standard: 'new' });
  const ours = (c: { body?: unknown }) =>
    (c.body as { options?: { external_task_id?: string } } | undefined)?.options?.external_task_id === taskId;
  const create = r.sim.calls.filter((c) => c.op === 'create' && c.status === 200).find(ours);
  return { taskId, path: create?.path, body: create?.body as Record<string, unknown> | undefined };
}

describe('omni and storyboards on the new standard', () => {
  it('/video with two reference images: /omni-video/kling-3.0-omni, refer_image ids, @image_n kept', async () => {
    const r = await rig();
    const { path, body, taskId } = await made(
      r,
      'video',
      `@image_1 walks into @image_2's kitchen --image ${A} --image ${B}`,
    );
    expect(path).toBe('/omni-video/kling-3.0-omni');
    expect(body).toEqual({
      contents: [
        { type: 'prompt', text: "@image_1 walks into @image_2's kitchen" },
        { type: 'refer_image', url: A, id: 'image_1' },
        { type: 'refer_image', url: B, id: 'image_2' },
      ],
      settings: { resolution: '720p', aspect_ratio: '16:9', duration: 5 },
      options: { external_task_id: taskId },
    });
  });

  it('/edit of a finished video: /omni-video with Kling’s URL of the source as base_video, its length kept', async () => {
    const r = await rig();
    const source = await made(r, 'video', 'a quiet street at noon --model kling-3.0');
    const url = (await r.rig.core.store.get(source.taskId))?.result?.videos[0]?.url;
    const { path, body } = await made(r, 'edit', `${source.taskId} make it snow`);
    expect(path).toBe('/omni-video/kling-3.0-omni');
    expect(body?.['contents']).toEqual([
      { type: 'prompt', text: 'make it snow' },
      { type: 'base_video', url },
    ]);
    expect(body?.['settings']).toEqual({ resolution: '720p', audio: 'original' });
  });

  it('/storyboard: text-to-video with the shot syntax and multi_shot; 3.0 Omni through omni-video; 4k on Kling 3.0', async () => {
    const r = await rig();
    const turbo = await made(r, 'storyboard', '3: a cat jumps | 4: it lands; softly');
    expect(turbo.path).toBe('/text-to-video/kling-3.0-turbo');
    expect(turbo.body).toMatchObject({
      prompt: 'shot 1, 3, a cat jumps; shot 2, 4, it lands, softly;',
      settings: { duration: 7, multi_shot: true, resolution: '720p', aspect_ratio: '16:9' },
    });
    const omni = await made(r, 'storyboard', '5: a door opens | 5: a dog runs out --model kling-3.0-omni --res 1080p');
    expect(omni.path).toBe('/omni-video/kling-3.0-omni');
    expect(omni.body).toMatchObject({
      contents: [{ type: 'prompt', text: 'shot 1, 5, a door opens; shot 2, 5, a dog runs out;' }],
      settings: { duration: 10, multi_shot: true, resolution: '1080p' },
    });
    const uhd = await made(r, 'video', 'a comet over the sea --model kling-3.0 --res 4k');
    expect(uhd.path).toBe('/text-to-video/kling-3.0');
    expect(uhd.body).toMatchObject({ settings: { resolution: '4k' } });
  });

  it('refusals before Kling: O1 does no multi-shot; 4k on 3.0 Turbo; the simulator is never asked', async () => {
    const r = await rig();
    const cases: Array<[string, string, RegExp]> = [
      ['storyboard', '5: a | 5: b --model kling-o1', /kling-o1 does not make multi-shot videos/],
      ['storyboard', '5: a | 5: b --res 4k', /kling-3\.0-turbo makes 720p, 1080p \(not 4k\)/],
      ['video', `@image_1 --image ${A} --model kling-o1 --res 4k`, /kling-o1 makes 720p, 1080p \(not 4k\)/],
    ];
    for (const [command, text, says] of cases) expect((await runText(r.rig, command, text)).refused).toMatch(says);
    expect(r.sim.calls).toEqual([]);
  });
});
